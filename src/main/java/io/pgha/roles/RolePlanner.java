package io.pgha.roles;

import java.io.IOException;

/** One role's plan for this host in one pass: every role is planned through this, and only this. */
interface RolePlanner {
    /** The role's resources and warnings; {@link RoleRefusedException} when the host cannot take it as specified. */
    Planned plan(RoleInput in) throws IOException, RoleRefusedException;
}
