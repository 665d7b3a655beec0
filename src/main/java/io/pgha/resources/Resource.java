package io.pgha.resources;

import java.util.List;

/**
 * One thing on a host that must be a certain way, present or absent. {@link #checkApply} is the one pass that both
 * looks ({@code apply} false: changes nothing, powers {@code pghactl plan}) and makes it so ({@code apply} true,
 * idempotent): check and apply share their code and cannot drift apart.
 */
public interface Resource {

    /** Kind and name, e.g. {@code file:/etc/pgha-agent/etcd.yml}. */
    String id();

    /**
     * With {@code apply} false: {@code ok} when the host is already right, else {@code changed} with the differences
     * that apply would remove. With {@code apply} true: the same differences, and what was done about them.
     */
    Result checkApply(boolean apply);

    /** The differences between the host and this resource; empty when the host is already right. */
    default List<String> check() {
        return checkApply(false).diff();
    }

    default Result apply() {
        return checkApply(true);
    }
}
