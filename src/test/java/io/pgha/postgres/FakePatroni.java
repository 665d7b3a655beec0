package io.pgha.postgres;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One member's Patroni REST API kept in memory for unit tests: it answers from the tests' suppliers and records
 * every request it gets ("restart", "reload", "reinitialize", "forget", "switchover"); a reinitialisation starts a new
 * Postgres (see {@link #starts}).
 */
final class FakePatroni implements PatroniApi {
    final List<String> calls = new ArrayList<>();
    private final Supplier<PatroniClient.Member> member;
    private final Supplier<List<PatroniClient.ClusterMember>> cluster;
    /** How many times Postgres was started again here: a member's postmaster start time can say "start N". */
    int starts;

    FakePatroni(Supplier<PatroniClient.Member> member, Supplier<List<PatroniClient.ClusterMember>> cluster) {
        this.member = member;
        this.cluster = cluster;
    }

    @Override
    public PatroniClient.Member member() {
        return member.get();
    }

    @Override
    public List<PatroniClient.ClusterMember> cluster() {
        return cluster.get();
    }

    @Override
    public void restart() {
        calls.add("restart");
        starts++;
    }

    @Override
    public void reload() {
        calls.add("reload");
    }

    @Override
    public void reinitialize() {
        calls.add("reinitialize");
        starts++;
    }

    @Override
    public void pause(boolean on) {
        calls.add(on ? "pause" : "resume");
    }

    @Override
    public void forgetFailsafeLeader() {
        calls.add("forget");
    }

    @Override
    public String switchover(String leader, String candidate) {
        calls.add("switchover");
        return "";
    }
}
