package io.pgha.supervise;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How a supervised program runs.
 *
 * @param user          the account it runs as ("root" runs it without switching)
 * @param env           its entire environment: nothing of the agent's leaks in
 * @param restartDigest fingerprint of the inputs whose change needs a restart (config files)
 * @param reloadDigest  fingerprint of the inputs a reload picks up; empty when the program cannot reload
 * @param reloadSignal  the signal that makes the program re-read its configuration (HUP, or USR2 for HAProxy)
 * @param beforeReload  run just before that signal; if it fails, the program is reloaded all the same
 */
public record ProcessSpec(
        String name,
        String user,
        List<String> command,
        Map<String, String> env,
        Path workDir,
        Path logFile,
        String restartDigest,
        String reloadDigest,
        String reloadSignal,
        BeforeReload beforeReload) {

    public ProcessSpec {
        command = List.copyOf(command);
        env = Map.copyOf(env);
    }

    public ProcessSpec(String name, String user, List<String> command, Map<String, String> env, Path workDir,
                       Path logFile, String restartDigest, String reloadDigest, String reloadSignal) {
        this(name, user, command, env, workDir, logFile, restartDigest, reloadDigest, reloadSignal,
                BeforeReload.NOTHING);
    }

    public ProcessSpec withBeforeReload(BeforeReload step) {
        return new ProcessSpec(name, user, command, env, workDir, logFile, restartDigest, reloadDigest, reloadSignal,
                step);
    }
}
