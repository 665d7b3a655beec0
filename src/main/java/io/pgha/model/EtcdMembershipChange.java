package io.pgha.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a spec's etcd hosts differ from etcd's membership of now, matched by address. The agents carry a change out one
 * step at a time (a new member joins as a learner and is promoted, then the member the spec dropped is removed), so a
 * spec may add at most one member and remove at most one, and only once the change before it has finished.
 *
 * @param added   spec hosts with the etcd role that are no member yet
 * @param removed members (by name, or address while unnamed) that the spec no longer gives the etcd role
 */
public record EtcdMembershipChange(List<String> added, List<String> removed, List<SpecError> errors) {

    public EtcdMembershipChange {
        added = List.copyOf(added);
        removed = List.copyOf(removed);
        errors = List.copyOf(errors);
    }

    public static EtcdMembershipChange between(List<EtcdMember> members, ClusterSpec spec) {
        Map<String, String> wanted = spec.etcdMembers();
        List<String> added = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<SpecError> errors = new ArrayList<>();
        wanted.forEach((name, address) -> {
            var member = members.stream().filter(m -> m.address().equals(address)).findFirst();
            if (member.isEmpty()) {
                added.add(name);
            } else if (member.get().started() && !member.get().name().equals(name)) {
                errors.add(new SpecError("hosts." + name + ".address", "etcd member '" + member.get().name()
                        + "' has address " + address + ": a member keeps its name (remove it, then add the host)"));
            }
        });
        for (EtcdMember m : members) {
            if (!wanted.containsValue(m.address())) {
                removed.add(m.started() ? m.name() : m.address());
            }
        }
        List<String> learners = members.stream().filter(EtcdMember::learner)
                .map(m -> m.started() ? m.name() : m.address()).toList();
        if (added.size() > 1) {
            errors.add(new SpecError("hosts." + added.get(1) + ".roles", "adds etcd members " + String.join(", ", added)
                    + " in one apply: one membership change at a time (add one, apply the next once it is a voting"
                    + " member)"));
        }
        if (removed.size() > 1) {
            errors.add(new SpecError("hosts", "removes etcd members " + String.join(", ", removed)
                    + " in one apply: one membership change at a time (remove one, apply the next once it is gone)"));
        }
        if (!added.isEmpty() && !learners.isEmpty()) {
            errors.add(new SpecError("hosts." + added.get(0) + ".roles", "etcd member " + String.join(", ", learners)
                    + " is still joining (a learner): add the next member once it has been promoted"));
        }
        return new EtcdMembershipChange(added, removed, errors);
    }

    public boolean isEmpty() {
        return added.isEmpty() && removed.isEmpty();
    }

    /** "adds spare1, removes etcd3", for apply's output. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (!added.isEmpty()) {
            parts.add("adds etcd member " + String.join(", ", added));
        }
        if (!removed.isEmpty()) {
            parts.add("removes etcd member " + String.join(", ", removed));
        }
        return String.join(", ", parts);
    }
}
