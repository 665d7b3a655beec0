package io.pgha.resources;

/** The outcome of applying one resource, as Ansible reports it. */
public enum Status {
    OK, CHANGED, FAILED, SKIPPED;

    public String id() {
        return name().toLowerCase();
    }
}
