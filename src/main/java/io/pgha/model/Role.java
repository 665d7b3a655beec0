package io.pgha.model;

import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** What a host is for; BACKUP keeps the pgBackRest repository and runs the restore drills. */
public enum Role {
    ETCD, DATA, LB, BACKUP;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** An unmodifiable copy in enum order: etcd, data, lb, backup. */
    public static Set<Role> ordered(Collection<Role> roles) {
        return Collections.unmodifiableSet(roles.isEmpty() ? EnumSet.noneOf(Role.class) : EnumSet.copyOf(roles));
    }

    /** "etcd+data": several roles as one word, in enum order. */
    public static String join(Collection<Role> roles) {
        return roles.stream().sorted().map(Role::id).collect(Collectors.joining("+"));
    }

    public static Optional<Role> of(String id) {
        return Arrays.stream(values()).filter(r -> r.id().equals(id)).findFirst();
    }
}
