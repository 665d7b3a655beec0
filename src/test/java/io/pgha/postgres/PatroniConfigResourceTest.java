package io.pgha.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class PatroniConfigResourceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text.replace('\'', '"'));
    }

    @Test
    void equalConfigNeedsNoPatch() throws Exception {
        JsonNode desired = json("{'ttl': 30, 'postgresql': {'parameters': {'max_connections': '100'}}}");
        JsonNode actual = json("{'ttl': 30, 'loop_wait': 10, 'postgresql': {'parameters': {'max_connections': 100}}}");
        assertEquals("{}", PatroniConfigResource.patch(desired, actual, "").toString());
    }

    @Test
    void changedValuesAndRemovedParametersArePatched() throws Exception {
        JsonNode desired = json("{'ttl': 20, 'postgresql': {'use_slots': true, 'parameters': {'work_mem': '8MB'}}}");
        JsonNode actual = json("{'ttl': 30, 'postgresql': {'use_slots': true,"
                + " 'parameters': {'work_mem': '4MB', 'max_connections': '100'}}}");
        JsonNode patch = PatroniConfigResource.patch(desired, actual, "");
        assertEquals(json("{'ttl': 20, 'postgresql': {'parameters': {'work_mem': '8MB', 'max_connections': null}}}"),
                patch);
        assertEquals(List.of("ttl = 20", "postgresql.parameters.work_mem = 8MB",
                "postgresql.parameters.max_connections removed"), PatroniConfigResource.describe(patch));
    }
}
