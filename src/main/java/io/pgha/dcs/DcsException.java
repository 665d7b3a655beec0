package io.pgha.dcs;

/**
 * What went wrong talking to the DCS, by kind, so that callers decide on the type and never on the text of an error.
 */
public abstract sealed class DcsException extends Exception
        permits DcsException.Unreachable, DcsException.Refused, DcsException.LeaseLost,
        DcsException.RevisionConflict, DcsException.Malformed {

    private DcsException(String message, Throwable cause) {
        super(message, cause);
    }

    /** No answer within the deadline, or the request failed on the way: etcd may be down or cut off. */
    public static final class Unreachable extends DcsException {
        public Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * etcd answered and said no: this identity (the common name of its certificate) lacks the permission, or the
     * request carried no valid credentials. Not an outage: retrying will not help.
     */
    public static final class Refused extends DcsException {
        public Refused(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The lease is gone (it expired while etcd could not be reached): the caller takes a new one. */
    public static final class LeaseLost extends DcsException {
        public LeaseLost(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A compare-and-swap found the key at another revision than expected: someone else changed it first. */
    public static final class RevisionConflict extends DcsException {
        private final long expected;

        public RevisionConflict(String key, long expected) {
            super("compare-and-swap " + key + ": expected revision " + expected + ", the key has changed since", null);
            this.expected = expected;
        }

        public long expected() {
            return expected;
        }
    }

    /** etcd holds a value at the key that is not what belongs there (written by hand, or by another version). */
    public static final class Malformed extends DcsException {
        private final long revision;

        public Malformed(String key, long revision, Exception cause) {
            super(key + " (revision " + revision + "): expected a value this version can read, found one it cannot: "
                    + cause.getMessage(), cause);
            this.revision = revision;
        }

        /** The revision that wrote the value: a watch goes on after it. */
        public long revision() {
            return revision;
        }
    }
}
