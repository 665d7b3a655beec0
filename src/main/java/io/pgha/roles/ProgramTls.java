package io.pgha.roles;

import io.pgha.resources.DirectoryResource;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.Resource;
import java.nio.file.Path;
import java.util.List;

/**
 * A program's own copy of the host's programs' certificate (the one without a common name), its key readable only by the program's user (PostgreSQL refuses a
 * key others can read), under {@code <config>/tls/}. {@code digest} changes when the certificate is renewed: a
 * program that reads its certificate only at (re)load gets that digest into its reload fingerprint.
 *
 * @param key the key file; for HAProxy, which wants one file, the key follows the certificate in it
 */
record ProgramTls(Path ca, Path certificate, Path key, List<Resource> resources, String digest) {

    static ProgramTls of(HostContext ctx, String program, String user) {
        HostCertificate.Material m = ctx.certificate().material();
        return separate(ctx, program, m.serviceCertificatePem(), m.serviceKeyPem(), user);
    }

    /** pgBackRest's copy of the host's pgBackRest certificate (common name {@code pgbackrest-HOST}). */
    static ProgramTls pgBackRest(HostContext ctx, String user) {
        HostCertificate.Material m = ctx.certificate().material();
        return separate(ctx, "pgbackrest", m.backupCertificatePem(), m.backupKeyPem(), user);
    }

    /** PgBouncer's client certificate to PostgreSQL (common name {@code pooler-HOST}). */
    static ProgramTls pooler(HostContext ctx, String user) {
        HostCertificate.Material m = ctx.certificate().material();
        return separate(ctx, "pooler-client", m.poolerCertificatePem(), m.poolerKeyPem(), user);
    }

    private static ProgramTls separate(HostContext ctx, String name, String certificatePem, String keyPem,
                                       String user) {
        Path dir = dir(ctx);
        FileResource cert = FileResource.of(dir.resolve(name + ".crt"), certificatePem, new Owner("root", "root", 0644));
        FileResource key = FileResource.of(dir.resolve(name + ".key"), keyPem, new Owner(user, user, 0600))
                .asSensitive();
        return withCa(ctx, cert.path(), key.path(), List.of(cert, key), cert.digest());
    }

    /** Certificate and key in one file (HAProxy's {@code crt}), readable by the program's user only. */
    static ProgramTls combined(HostContext ctx, String program, String user) {
        HostCertificate.Material m = ctx.certificate().material();
        FileResource pem = FileResource.of(dir(ctx).resolve(program + ".pem"),
                m.serviceCertificatePem() + m.serviceKeyPem(), new Owner(user, user, 0600)).asSensitive();
        return withCa(ctx, pem.path(), pem.path(), List.of(pem), pem.digest());
    }

    private static Path dir(HostContext ctx) {
        return ctx.paths().configDir().resolve("tls");
    }

    /** The directory and the CA certificate every program's copy comes with, before the program's own files. */
    private static ProgramTls withCa(HostContext ctx, Path certificate, Path key, List<FileResource> own,
                                     String digest) {
        FileResource ca = FileResource.of(dir(ctx).resolve("ca.crt"), ctx.certificate().material().caPem(),
                new Owner("root", "root", 0644));
        List<Resource> resources = new java.util.ArrayList<>(List.of(
                new DirectoryResource(dir(ctx), new Owner("root", "root", 0755)), ca));
        resources.addAll(own);
        return new ProgramTls(ca.path(), certificate, key, List.copyOf(resources), digest);
    }
}
