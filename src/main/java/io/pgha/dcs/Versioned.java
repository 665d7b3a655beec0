package io.pgha.dcs;

/** A value with the etcd revision that last modified it (its generation). */
public record Versioned<T>(T value, long modRevision) {
}
