package io.pgha.resource;

import java.util.List;

/**
 * One thing on a host that must be a certain way. {@link #check} looks and changes nothing (it powers
 * {@code pghactl plan}); {@link #apply} makes it so and is idempotent.
 */
public sealed interface Resource permits PackageResource, UserResource, DirectoryResource, FileResource,
        ProcessResource, PatroniConfigResource {

    /** Kind and name, e.g. {@code file:/etc/pgha-agent/etcd.yml}. */
    String id();

    /** The differences between the host and this resource; empty when the host is already right. */
    List<String> check();

    Result apply();
}
