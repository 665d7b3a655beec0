package io.pgha.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgha.model.ClusterSpec;
import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StatusVipLineTest {
    private static final ClusterSpec.Vip VIP = new ClusterSpec.Vip("10.0.2.100", 24, Optional.empty(), 7);

    private static HostStatus lb(String host, boolean held) {
        Health health = new Health(null, null, null, null, null, new Health.Vip("10.0.2.100", held, null, null));
        return new HostStatus(HostStatus.SCHEMA, host, "10.0.2.1", "lb", 3, true, HostStatus.APPLIED, List.of(),
                List.of(), List.of(), health, List.of(), List.of(), List.of(), List.of(), "", "0.1.0", 1, 0, 0, null,
                null);
    }

    @Test
    void theHolderIsNamedAndNoneOrTwoAreSaidPlainly() {
        assertEquals("floating address 10.0.2.100/24: held by lb2",
                StatusCommand.vipLine(VIP, List.of(lb("lb1", false), lb("lb2", true))));
        assertEquals("WARNING: floating address 10.0.2.100/24: held by no lb host (clients cannot connect through it)",
                StatusCommand.vipLine(VIP, List.of(lb("lb1", false), lb("lb2", false))));
        assertEquals("ERROR: floating address 10.0.2.100/24: held by lb1 and lb2 at once",
                StatusCommand.vipLine(VIP, List.of(lb("lb1", true), lb("lb2", true))));
    }
}
