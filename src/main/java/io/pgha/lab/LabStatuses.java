package io.pgha.lab;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdDcs;
import io.pgha.dcs.HostStatuses;
import io.pgha.dcs.Versioned;
import io.pgha.model.HostStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Predicate;

/** What the lab's agents report in etcd, for the benches' waits. */
public final class LabStatuses {
    private LabStatuses() {
    }

    /** Every host of the plan has a status in etcd, and each passes {@code test}. */
    public static boolean every(Dcs dcs, LabPlan plan, Predicate<HostStatus> test) throws DcsException {
        HostStatuses statuses = dcs.hostStatuses();
        return statuses.unreadable().isEmpty() && statuses.readable().size() == plan.hosts().size()
                && statuses.readable().values().stream().allMatch(test);
    }

    /** The lb hosts whose status says they hold the floating address. */
    public static java.util.List<String> vipHolders(Dcs dcs) throws DcsException {
        return dcs.hostStatuses().readable().values().stream()
                .filter(s -> s.health().holdsVip()).map(HostStatus::host).toList();
    }

    /**
     * Every host converged under {@code revision} or a later one (0: the spec stored now), read with the admin
     * identity; false too when etcd does not answer within 3 s.
     */
    public static boolean allConverged(LabPlan plan, long revision) {
        try (EtcdDcs dcs = new EtcdDcs(plan.cluster(), plan.clientUrls(), Duration.ofSeconds(3), plan.adminTls())) {
            long want = revision > 0 ? revision : dcs.spec().map(Versioned::modRevision).orElse(-1L);
            return every(dcs, plan, s -> s.converged() && s.specRevision() >= want)
                    && (plan.vip().isEmpty() || vipHolders(dcs).size() == 1);
        } catch (DcsException | IOException | RuntimeException e) {
            return false;
        }
    }
}
