package io.pgha.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a host without the CA key sends an etcd host's agent for its certificates: who it says it is, the join secret
 * for its first certificates (empty when it renews, authenticated by its current certificate), and one public key
 * per certificate it needs, which it made and keeps. What the certificates say is decided by the signer from the
 * spec; the order only names the host. {@link #toString()} never shows the secret.
 *
 * @param host    the host's name
 * @param address the host's address
 * @param secret  the join secret from {@code pghactl host add}, or empty
 * @param keys    purpose ({@code agent}, {@code service}, {@code backup}, {@code pooler}) to the public key's
 *                X.509 SubjectPublicKeyInfo, base64
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CertificateOrder(String host, String address, String secret, Map<String, String> keys) {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** An order as JSON, the form it travels in. */
    public static final TextForm<CertificateOrder> TEXT = TextForm.of(CertificateOrder::toJson,
            CertificateOrder::fromJson);

    public CertificateOrder {
        host = Objects.requireNonNullElse(host, "");
        address = Objects.requireNonNullElse(address, "");
        secret = Objects.requireNonNullElse(secret, "");
        keys = keys == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(keys));
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an order is plain data", e);
        }
    }

    public static CertificateOrder fromJson(String json) throws IOException {
        CertificateOrder o;
        try {
            o = JSON.readValue(json, CertificateOrder.class);
        } catch (JsonProcessingException e) {
            // Jackson's message quotes the text, which may hold the secret.
            throw new IOException("expected a certificate order as JSON: unreadable at line "
                    + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()));
        }
        if (o == null || o.host().isEmpty() || o.address().isEmpty() || o.keys().isEmpty()) {
            throw new IOException("expected a certificate order with a host, an address and keys");
        }
        return o;
    }

    /** The signer's answer: each purpose's certificate, PEM. */
    public record Answer(Map<String, String> certificates) {
        public static final TextForm<Answer> TEXT = TextForm.of(Answer::toJson, Answer::fromJson);

        public Answer {
            certificates = certificates == null ? Map.of()
                    : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(certificates));
        }

        public String toJson() {
            try {
                return JSON.writeValueAsString(this);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("an answer is plain data", e);
            }
        }

        public static Answer fromJson(String json) throws IOException {
            Answer a = JSON.readValue(json, Answer.class);
            if (a == null || a.certificates().isEmpty()) {
                throw new IOException("expected certificates in the signer's answer, found none");
            }
            return a;
        }
    }

    @Override
    public String toString() {
        return "CertificateOrder[" + host + " at " + address + (secret.isEmpty() ? "" : ", with a join secret")
                + ", keys " + keys.keySet() + "]";
    }
}
