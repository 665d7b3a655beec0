package io.pgha.probe;

import io.pgha.model.Health;
import io.pgha.model.Pending;
import java.util.ArrayList;
import java.util.List;

/**
 * What the probes found on a host: the engines' state for the status; problems, each a reason why the host is not
 * healthy (no problems means healthy); and what the spec asks that is not in effect yet, as read back from the
 * engines (nothing pending means the spec the probes compared with is in effect).
 */
public record HealthReport(Health health, List<String> problems, List<Pending> pending) {
    public static final HealthReport NONE = new HealthReport(Health.NONE, List.of(), List.of());

    public HealthReport {
        problems = List.copyOf(problems);
        pending = List.copyOf(pending);
    }

    /** A report with nothing pending. */
    public HealthReport(Health health, List<String> problems) {
        this(health, problems, List.of());
    }

    static HealthReport of(Health health, String... problems) {
        return new HealthReport(health, List.of(problems), List.of());
    }

    /** Both reports' parts, problems and pending items, as for a host with several roles. */
    public HealthReport and(HealthReport other) {
        List<String> allProblems = new ArrayList<>(problems);
        allProblems.addAll(other.problems);
        List<Pending> allPending = new ArrayList<>(pending);
        allPending.addAll(other.pending);
        return new HealthReport(health.with(other.health), allProblems, allPending);
    }

    HealthReport withPatroni(Health.Patroni patroni) {
        return new HealthReport(new Health(health.etcd(), patroni, health.postgres(), health.haproxy(),
                health.backup(), health.vip(), health.pooler()), problems, pending);
    }

    /** With the floating address part in place of this one's. */
    public HealthReport withVip(Health.Vip vip) {
        return new HealthReport(new Health(health.etcd(), health.patroni(), health.postgres(), health.haproxy(),
                health.backup(), vip, health.pooler()), problems, pending);
    }

    /** With the pooler part in place of this one's. */
    public HealthReport withPooler(Health.Pooler pooler) {
        return new HealthReport(new Health(health.etcd(), health.patroni(), health.postgres(), health.haproxy(),
                health.backup(), health.vip(), pooler), problems, pending);
    }

    HealthReport pending(List<Pending> more) {
        List<Pending> all = new ArrayList<>(pending);
        all.addAll(more);
        return new HealthReport(health, problems, all);
    }
}
