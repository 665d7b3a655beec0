package io.pgha.roles;

import io.pgha.model.EtcdMember;
import io.pgha.model.ProgramVersion;
import java.util.List;
import java.util.Optional;

/**
 * What the agent knows of the etcd cluster for one pass.
 *
 * @param members        etcd's member list, empty when etcd did not answer
 * @param restartAllowed this host's member may restart for a changed etcd.yml now: its agent holds the etcd lock
 * @param version        the newest version the members run (Patroni must work with every one), if known
 */
public record EtcdFacts(Optional<List<EtcdMember>> members, boolean restartAllowed, Optional<ProgramVersion> version) {
    public static final EtcdFacts UNKNOWN = new EtcdFacts(Optional.empty(), false, Optional.empty());

    public EtcdFacts(Optional<List<EtcdMember>> members, boolean restartAllowed) {
        this(members, restartAllowed, Optional.empty());
    }

    /** This host's member, by its peer address, if etcd listed one. */
    public Optional<EtcdMember> member(String address) {
        return members.flatMap(list -> list.stream().filter(m -> m.address().equals(address)).findFirst());
    }

    /** Whether etcd's list is known and lacks this host: it is no member (never was, or was removed). */
    public boolean knownNotMember(String address) {
        return members.isPresent() && member(address).isEmpty();
    }
}
