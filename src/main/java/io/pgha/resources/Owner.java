package io.pgha.resources;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.ArrayList;
import java.util.List;

/** Owner, group and mode of a file or directory: how to compare them and how to set them. */
public record Owner(String user, String group, int mode) {

    public String modeText() {
        return String.format("%04o", mode);
    }

    /** Differences between the path's attributes and these; the path must exist. */
    List<String> differences(Path path) throws IOException {
        PosixFileAttributes attrs = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        List<String> diff = new ArrayList<>();
        if (!attrs.owner().getName().equals(user)) {
            diff.add("owner " + attrs.owner().getName() + " -> " + user);
        }
        if (!attrs.group().getName().equals(group)) {
            diff.add("group " + attrs.group().getName() + " -> " + group);
        }
        int actual = modeOf(PosixFilePermissions.toString(attrs.permissions()));
        if (actual != mode) {
            diff.add(String.format("mode %04o -> %04o", actual, mode));
        }
        return diff;
    }

    void applyTo(Path path) throws IOException {
        UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        try {
            view.setOwner(lookup.lookupPrincipalByName(user));
            GroupPrincipal g = lookup.lookupPrincipalByGroupName(group);
            view.setGroup(g);
        } catch (UserPrincipalNotFoundException e) {
            throw new IOException("no such user or group '" + e.getName() + "' for " + path, e);
        }
        view.setPermissions(PosixFilePermissions.fromString(permissionText(mode)));
    }

    private static int modeOf(String rwx) {
        int m = 0;
        for (int i = 0; i < 9; i++) {
            if (rwx.charAt(i) != '-') {
                m |= 1 << (8 - i);
            }
        }
        return m;
    }

    private static String permissionText(int mode) {
        StringBuilder sb = new StringBuilder();
        String letters = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            sb.append((mode & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
        }
        return sb.toString();
    }
}
