package io.pgha.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The one-time secret a host without the CA key gets its first certificates with: what it is for (cluster, host,
 * address, until when, and a nonce that makes it once-only) signed with the cluster CA's key. Whoever holds the CA
 * key makes one ({@code pghactl host add} beside pghactl init's files, an etcd host); an etcd host's agent checks the
 * signature against ca.crt and records the nonce in etcd as used. Nothing is stored before it is used, so there is
 * nothing to steal from etcd; a token is as secret as a password until it is used or expires.
 *
 * @param cluster the cluster it is for
 * @param host    the host it is for
 * @param address the one address the host may enroll with
 * @param expires when it stops being accepted
 * @param nonce   128 random bits, hex: the token's identity once used
 */
public record JoinToken(String cluster, String host, String address, Instant expires, String nonce) {
    static final String PREFIX = "pgha-join-";
    /** Signed with the CA key as certificates are: the payload's first bytes tell the two apart (DER starts 0x30). */
    private static final String VERSION = "pgha-join-v1";
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final Pattern FIELD = Pattern.compile("[A-Za-z0-9._:-]+");

    /** A token that {@code validate} refused: why, without the token itself. */
    public static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    /** A new token for {@code host} at {@code address}, signed by {@code ca}. */
    public static String issue(ClusterCa ca, String cluster, String host, String address, Duration validFor,
                               Instant now, SecureRandom random) {
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        JoinToken token = new JoinToken(cluster, host, address, now.plus(validFor), HexFormat.of().formatHex(nonce));
        byte[] payload = token.payload();
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return PREFIX + b64.encodeToString(payload) + "." + b64.encodeToString(ca.signature(payload));
    }

    /** The claims of {@code text} if {@code ca} signed it and it has not expired at {@code now}. */
    public static JoinToken validate(String text, X509Certificate ca, Instant now) throws Invalid {
        String body = text.strip();
        int dot = body.indexOf('.');
        if (!body.startsWith(PREFIX) || dot < 0) {
            throw new Invalid("not a join secret (expected what pghactl host add printed, " + PREFIX + "...)");
        }
        byte[] payload;
        byte[] signature;
        try {
            payload = Base64.getUrlDecoder().decode(body.substring(PREFIX.length(), dot));
            signature = Base64.getUrlDecoder().decode(body.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            throw new Invalid("a join secret damaged in copying (not base64)");
        }
        try {
            Signature verifier = Signature.getInstance(SIGNATURE);
            verifier.initVerify(ca.getPublicKey());
            verifier.update(payload);
            if (!verifier.verify(signature)) {
                throw new Invalid("a join secret the cluster CA did not sign");
            }
        } catch (GeneralSecurityException e) {
            throw new Invalid("a join secret the cluster CA did not sign (" + e.getMessage() + ")");
        }
        List<String> fields = List.of(new String(payload, StandardCharsets.UTF_8).split("\\|", -1));
        if (fields.size() != 6 || !fields.get(0).equals(VERSION)) {
            throw new Invalid("a join secret of another version than " + VERSION);
        }
        JoinToken token;
        try {
            token = new JoinToken(fields.get(1), fields.get(2), fields.get(3),
                    Instant.ofEpochSecond(Long.parseLong(fields.get(4))), fields.get(5));
        } catch (NumberFormatException e) {
            throw new Invalid("a join secret without an expiry");
        }
        if (now.isAfter(token.expires())) {
            throw new Invalid("a join secret that expired at " + token.expires());
        }
        return token;
    }

    public JoinToken {
        for (String field : List.of(cluster, host, address, nonce)) {
            if (!FIELD.matcher(field).matches()) {
                throw new IllegalArgumentException("a join secret's fields are names and addresses, found '"
                        + field.replaceAll("[^ -~]", "?") + "'");
            }
        }
    }

    private byte[] payload() {
        return String.join("|", VERSION, cluster, host, address, Long.toString(expires.getEpochSecond()), nonce)
                .getBytes(StandardCharsets.UTF_8);
    }
}
