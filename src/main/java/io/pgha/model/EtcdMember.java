package io.pgha.model;

import java.net.URI;
import java.util.List;

/**
 * One member of the etcd cluster as etcd lists it. A member added but not yet started has no name.
 *
 * @param id         etcd's member id
 * @param peerUrls   where the other members reach it
 * @param clientUrls where clients reach it (empty until it has started)
 * @param learner    a non-voting member catching up, not yet promoted
 */
public record EtcdMember(long id, String name, List<String> peerUrls, List<String> clientUrls, boolean learner) {
    public EtcdMember {
        peerUrls = List.copyOf(peerUrls);
        clientUrls = List.copyOf(clientUrls);
    }

    /** The address of its first peer URL: what the spec calls the host's address. */
    public String address() {
        return peerUrls.isEmpty() ? "" : URI.create(peerUrls.get(0)).getHost();
    }

    public boolean started() {
        return !name.isEmpty();
    }

    /** The id as etcdctl prints it. */
    public String hexId() {
        return Long.toHexString(id);
    }
}
