package io.pgha.probe;

import io.pgha.net.HttpText;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Backend server states from HAProxy's stats page in CSV form. */
public final class HaproxyStats {
    private final HttpText http;

    public HaproxyStats(Duration timeout) {
        this.http = new HttpText(timeout);
    }

    /** A server line: its proxy (backend), name and status (UP, DOWN, MAINT, ...). */
    public record Server(String proxy, String name, String status) {
    }

    public List<Server> servers(String address, int port) throws IOException {
        HttpResponse<String> response = http.get("http://" + address + ":" + port + "/;csv");
        if (response.statusCode() != 200) {
            throw new IOException("HAProxy stats at " + address + ":" + port + ": HTTP " + response.statusCode());
        }
        return parse(response.body());
    }

    /** The CSV's first line names the columns ("# pxname,svname,...,status,..."); FRONTEND/BACKEND rows are skipped. */
    static List<Server> parse(String csv) {
        List<Server> out = new ArrayList<>();
        String[] lines = csv.split("\n");
        if (lines.length == 0 || !lines[0].startsWith("# ")) {
            return out;
        }
        List<String> columns = List.of(lines[0].substring(2).split(","));
        int px = columns.indexOf("pxname");
        int sv = columns.indexOf("svname");
        int st = columns.indexOf("status");
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(",", -1);
            if (f.length <= Math.max(px, Math.max(sv, st)) || f[sv].equals("FRONTEND") || f[sv].equals("BACKEND")) {
                continue;
            }
            out.add(new Server(f[px], f[sv], f[st]));
        }
        return out;
    }
}
