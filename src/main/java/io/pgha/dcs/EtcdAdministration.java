package io.pgha.dcs;

import static io.pgha.dcs.EtcdConnection.bytes;

import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.AuthRoleGetResponse;
import io.etcd.jetcd.auth.AuthRoleListResponse;
import io.etcd.jetcd.auth.AuthUserGetResponse;
import io.etcd.jetcd.auth.AuthUserListResponse;
import io.etcd.jetcd.auth.Permission;
import io.etcd.jetcd.maintenance.AlarmMember;
import io.etcd.jetcd.maintenance.AlarmType;
import io.etcd.jetcd.maintenance.StatusResponse;
import io.etcd.jetcd.options.CompactOption;
import io.etcd.jetcd.options.DeleteOption;
import io.pgha.model.EtcdAlarm;
import io.pgha.model.EtcdMember;
import io.pgha.model.EtcdMemberStatus;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** {@link EtcdAdmin} through jetcd, on the connection of an {@link EtcdDcs}. */
final class EtcdAdministration implements EtcdAdmin {
    /** A member (or the member list) not answering within this is down for now: every agent pass asks. */
    private static final Duration MEMBER_TIMEOUT = Duration.ofSeconds(2);
    /** A defragmentation rewrites the member's database file: longer than any other call. */
    private static final Duration DEFRAG_TIMEOUT = Duration.ofSeconds(60);
    private final EtcdConnection etcd;

    EtcdAdministration(EtcdConnection etcd) {
        this.etcd = etcd;
    }

    @Override
    public List<EtcdMember> members() throws DcsException {
        return etcd.await(etcd.client().getClusterClient().listMember(), "list etcd members", MEMBER_TIMEOUT)
                .getMembers().stream().map(EtcdAdministration::member).toList();
    }

    @Override
    public List<EtcdMember> addLearner(String peerUrl) throws DcsException {
        return etcd.await(etcd.client().getClusterClient().addMember(List.of(URI.create(peerUrl)), true),
                "add etcd learner " + peerUrl).getMembers().stream().map(EtcdAdministration::member).toList();
    }

    @Override
    public void promote(long memberId, String leaderClientUrl) throws DcsException {
        // A follower hands a promotion on to the leader over the peer link without the caller's identity, and etcd
        // 3.4's leader refuses that ("auth: user name is empty") until the follower gives up: asked directly, the
        // leader checks the caller itself.
        String what = "promote etcd member " + Long.toHexString(memberId) + " at the leader " + leaderClientUrl;
        try (Client leader = etcd.build(List.of(leaderClientUrl))) {
            etcd.await(leader.getClusterClient().promoteMember(memberId), what);
        } catch (IOException e) {
            throw new DcsException.Unreachable(what + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void removeMember(long memberId) throws DcsException {
        etcd.await(etcd.client().getClusterClient().removeMember(memberId),
                "remove etcd member " + Long.toHexString(memberId));
    }

    @Override
    public EtcdMemberStatus memberStatus(String clientUrl) throws DcsException {
        StatusResponse r = etcd.await(etcd.client().getMaintenanceClient().statusMember(target(clientUrl)),
                "status of etcd member " + clientUrl, MEMBER_TIMEOUT);
        return new EtcdMemberStatus(r.getHeader().getMemberId(), r.getLeader(), r.getRaftTerm(),
                r.getRaftAppliedIndex(), r.getDbSize(), r.getDbSizeInUse(), r.isLearner(), r.getErrorList(),
                r.getVersion());
    }

    @Override
    public void defragment(String clientUrl) throws DcsException {
        etcd.await(etcd.client().getMaintenanceClient().defragmentMember(target(clientUrl)),
                "defragment etcd member " + clientUrl, DEFRAG_TIMEOUT);
    }

    /** One member as a gRPC target ("ip:///host:port"): the maintenance calls go to that member only. */
    private static String target(String clientUrl) {
        URI uri = URI.create(clientUrl);
        return "ip:///" + uri.getHost() + ":" + uri.getPort();
    }

    @Override
    public List<EtcdAlarm> alarms() throws DcsException {
        return etcd.await(etcd.client().getMaintenanceClient().listAlarms(), "list etcd alarms").getAlarms().stream()
                .map(a -> new EtcdAlarm(a.getMemberId(), a.getAlarmType().name())).toList();
    }

    @Override
    public void disarm(EtcdAlarm alarm) throws DcsException {
        etcd.await(etcd.client().getMaintenanceClient().alarmDisarm(new AlarmMember(alarm.memberId(),
                AlarmType.valueOf(alarm.type()))), "disarm etcd alarm " + alarm.type());
    }

    @Override
    public long compact() throws DcsException {
        long revision = etcd.await(etcd.client().getKVClient().get(bytes(etcd.keys.spec())), "read etcd's revision")
                .getHeader().getRevision();
        try {
            etcd.await(etcd.client().getKVClient().compact(revision, CompactOption.builder()
                    .withCompactPhysical(true).build()), "compact etcd at revision " + revision);
        } catch (DcsException.Unreachable e) {
            // Compacted already (etcd's own periodic compaction, or another agent): nothing older is left.
            if (e.getMessage() == null || !e.getMessage().contains("compacted")) {
                throw e;
            }
        }
        return revision;
    }

    private static EtcdMember member(io.etcd.jetcd.cluster.Member m) {
        return new EtcdMember(m.getId(), m.getName(), m.getPeerURIs().stream().map(EtcdAdministration::url).toList(),
                m.getClientURIs().stream().map(EtcdAdministration::url).toList(), m.isLearner());
    }

    /** "https://10.77.0.11:2379", without the trailing slash a URI may carry. */
    private static String url(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort();
    }

    @Override
    public void ensureAccess(EtcdAccess plan, Map<String, String> passwords) throws DcsException {
        // Each step's calls go out together and are awaited together: every one is a round trip through raft, and
        // there are dozens, which one after another made up most of an apply's time.
        Auth auth = etcd.client().getAuthClient();
        CompletableFuture<AuthUserListResponse> userList = auth.userList();
        CompletableFuture<AuthRoleListResponse> roleList = auth.roleList();
        List<String> users = etcd.await(userList, "list etcd users").getUsers();
        List<String> roles = etcd.await(roleList, "list etcd roles").getRoles();
        EtcdAccess access = plan.withDeparted(etcd.keys.cluster(), users);
        Map<String, CompletableFuture<?>> adds = new LinkedHashMap<>();
        for (String role : access.roles().keySet()) {
            if (!roles.contains(role)) {
                adds.put("add etcd role " + role, auth.roleAdd(bytes(role)));
            }
        }
        for (String user : access.users().keySet()) {
            if (!users.contains(user)) {
                // Users of certificates never log in with a password: theirs is random and forgotten.
                String password = passwords.getOrDefault(user, randomPassword());
                adds.put("add etcd user " + user, auth.userAdd(bytes(user), bytes(password)));
            }
        }
        awaitAll(adds);
        Map<String, CompletableFuture<AuthRoleGetResponse>> held = new LinkedHashMap<>();
        access.roles().keySet().forEach(role -> held.put(role, auth.roleGet(bytes(role))));
        Map<String, CompletableFuture<AuthUserGetResponse>> granted = new LinkedHashMap<>();
        access.users().keySet().forEach(user -> granted.put(user, auth.userGet(bytes(user))));
        Map<String, CompletableFuture<?>> changes = new LinkedHashMap<>();
        for (Map.Entry<String, List<EtcdAccess.Permission>> role : access.roles().entrySet()) {
            ByteSequence name = bytes(role.getKey());
            List<Permission> has = etcd.await(held.get(role.getKey()), "read etcd role " + role.getKey())
                    .getPermissions();
            for (Permission p : has) {
                if (role.getValue().stream().noneMatch(w -> same(w, p))) {
                    changes.put("revoke " + p.getKey().toString(StandardCharsets.UTF_8) + " from etcd role "
                            + role.getKey(), auth.roleRevokePermission(name, p.getKey(), p.getRangeEnd()));
                }
            }
            for (EtcdAccess.Permission w : role.getValue()) {
                if (has.stream().noneMatch(p -> same(w, p))) {
                    changes.put("grant " + w.key() + " to etcd role " + role.getKey(), auth.roleGrantPermission(name,
                            bytes(w.key()), rangeEnd(w), w.write() ? Permission.Type.READWRITE : Permission.Type.READ));
                }
            }
        }
        for (Map.Entry<String, String> user : access.users().entrySet()) {
            ByteSequence name = bytes(user.getKey());
            List<String> has = etcd.await(granted.get(user.getKey()), "read etcd user " + user.getKey()).getRoles();
            if (!has.contains(user.getValue())) {
                changes.put("grant role to etcd user " + user.getKey(), auth.userGrantRole(name, bytes(user.getValue())));
            }
            for (String other : has) {
                if (!other.equals(user.getValue())) {
                    changes.put("revoke role " + other + " from etcd user " + user.getKey(),
                            auth.userRevokeRole(name, bytes(other)));
                }
            }
        }
        awaitAll(changes);
        etcd.await(auth.authEnable(), "enable etcd authentication");
    }

    /**
     * Calls already under way, each named for its error message; the first failure is thrown. A user or role that
     * someone else added meanwhile (an apply and an agent at etcd's start) is there as wanted: no failure.
     */
    private void awaitAll(Map<String, CompletableFuture<?>> calls) throws DcsException {
        for (Map.Entry<String, CompletableFuture<?>> call : calls.entrySet()) {
            try {
                etcd.await(call.getValue(), call.getKey());
            } catch (DcsException e) {
                if (!(call.getKey().startsWith("add ") && String.valueOf(e.getMessage()).contains("already exists"))) {
                    throw e;
                }
            }
        }
    }

    @Override
    public void authenticationOn(java.util.Collection<String> rootUsers) throws DcsException {
        Auth auth = etcd.client().getAuthClient();
        List<String> users = etcd.await(auth.userList(), "list etcd users").getUsers();
        Map<String, CompletableFuture<?>> adds = new LinkedHashMap<>();
        for (String user : rootUsers) {
            if (!users.contains(user)) {
                adds.put("add etcd user " + user, auth.userAdd(bytes(user), bytes(randomPassword())));
            }
        }
        awaitAll(adds);
        Map<String, CompletableFuture<?>> grants = new LinkedHashMap<>();
        for (String user : rootUsers) {
            if (!etcd.await(auth.userGet(bytes(user)), "read etcd user " + user).getRoles()
                    .contains(EtcdAccess.ROOT)) {
                grants.put("grant root to etcd user " + user, auth.userGrantRole(bytes(user),
                        bytes(EtcdAccess.ROOT)));
            }
        }
        awaitAll(grants);
        etcd.await(auth.authEnable(), "enable etcd authentication");
    }

    @Override
    public void deleteUser(String user) throws DcsException {
        Auth auth = etcd.client().getAuthClient();
        if (etcd.await(auth.userList(), "list etcd users").getUsers().contains(user)) {
            etcd.await(auth.userDelete(bytes(user)), "delete etcd user " + user);
        }
    }

    @Override
    public void deleteRole(String role) throws DcsException {
        Auth auth = etcd.client().getAuthClient();
        if (etcd.await(auth.roleList(), "list etcd roles").getRoles().contains(role)) {
            etcd.await(auth.roleDelete(bytes(role)), "delete etcd role " + role);
        }
    }

    @Override
    public void changePassword(String user, String password) throws DcsException {
        etcd.await(etcd.client().getAuthClient().userChangePassword(bytes(user), bytes(password)),
                "change etcd password of " + user);
    }

    @Override
    public long deletePatroniKeys() throws DcsException {
        String prefix = etcd.keys.patroniPrefix();
        return etcd.await(etcd.client().getKVClient().delete(bytes(prefix),
                DeleteOption.builder().isPrefix(true).build()), "delete " + prefix).getDeleted();
    }

    private static boolean same(EtcdAccess.Permission wanted, Permission held) {
        Permission.Type type = wanted.write() ? Permission.Type.READWRITE : Permission.Type.READ;
        return held.getPermType() == type && held.getKey().equals(bytes(wanted.key()))
                && held.getRangeEnd().equals(rangeEnd(wanted));
    }

    /** A prefix's range end: the key with its last byte raised by one; a single key has none. */
    private static ByteSequence rangeEnd(EtcdAccess.Permission p) {
        if (!p.prefix()) {
            return ByteSequence.EMPTY;
        }
        byte[] end = p.key().getBytes(StandardCharsets.UTF_8);
        end[end.length - 1]++;
        return ByteSequence.from(end);
    }

    private static String randomPassword() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
