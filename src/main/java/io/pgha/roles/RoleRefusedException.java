package io.pgha.roles;

/**
 * This host will not take a role with the spec as it is (the installed program would run something else than the
 * spec says, or is a version pgha-agent does not support). The role's resources are left out; what runs stays.
 */
final class RoleRefusedException extends Exception {
    RoleRefusedException(String reason) {
        super(reason);
    }
}
