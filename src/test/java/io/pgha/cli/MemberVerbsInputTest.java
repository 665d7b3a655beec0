package io.pgha.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The member verbs refuse bad arguments with exit 2 and the reason, before they read agent.yml or reach etcd. */
class MemberVerbsInputTest {
    private static void refused(String expected, String... args) {
        CtlRun r = CtlRun.of(args);
        assertEquals(CtlMain.BAD_INPUT, r.code(), r.err());
        assertTrue(r.err().contains(expected), r.err());
    }

    @Test
    void failoverWithoutForceIsRefusedAndPointsToSwitchover() {
        refused("pghactl switchover --to pg2", "failover", "--to", "pg2");
        refused("--to", "failover", "--force");
    }

    @Test
    void restartNeedsAHostOrAllButNotBoth() {
        refused("found neither", "restart");
        refused("found both", "restart", "pg1", "--all");
        refused("--timeout", "restart", "--all", "--timeout", "0");
    }

    @Test
    void logsNamesTheProgramsAndTheBoundOfLines() {
        refused("--program: expected one of [agent, patroni, postgres", "logs", "pg1", "--program", "sshd");
        refused("--lines: expected 1 to 10000, found 0", "logs", "pg1", "--lines", "0");
    }
}
