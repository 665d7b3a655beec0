package io.pgha.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextDiffTest {
    @Test
    void showsOnlyChangedLines() {
        assertEquals(List.of("-b", "+B", "+d"), TextDiff.lines("a\nb\nc", "a\nB\nc\nd"));
        assertEquals(List.of(), TextDiff.lines("same\n", "same\n"));
        assertEquals(List.of("+x"), TextDiff.lines("", "x").subList(1, 2));
    }

    @Test
    void hugeFilesAreSummarised() {
        String big = "line\n".repeat(3000);
        assertEquals(List.of("content differs (3001 lines -> 3002 lines)"), TextDiff.lines(big, big + "x\n"));
    }
}
