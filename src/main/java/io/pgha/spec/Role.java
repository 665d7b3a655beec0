package io.pgha.spec;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a host is for. */
public enum Role {
    ETCD, DATA, LB;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Role> of(String id) {
        return Arrays.stream(values()).filter(r -> r.id().equals(id)).findFirst();
    }
}
