package io.pgha.model;

/** Specs the unit tests share. */
public final class TestSpecs {
    /** The guide's topology, but two data hosts: 3 etcd, pg1 and pg2, lb1; sections may follow. */
    public static final String GUIDE_HOSTS = """
            cluster: demo
            hosts:
              etcd1: {address: 10.0.0.1, role: etcd}
              etcd2: {address: 10.0.0.2, role: etcd}
              etcd3: {address: 10.0.0.3, role: etcd}
              pg1: {address: 10.0.1.1, role: data}
              pg2: {address: 10.0.1.2, role: data}
              lb1: {address: 10.0.2.1, role: lb}
            """;

    private TestSpecs() {
    }
}
