// How roles are named, by one rule: a system administrator is "System admin" everywhere, in every
// project whatever its membership there; anyone else has the role of their membership.

export const ROLES = { 1: "Project admin", 4: "Maintainer", 2: "Developer", 3: "Guest", 5: "Limited guest" };
export const SYSTEM_ADMIN = "System admin";

export const accountRole = (user) => (user.sysadmin_flag ? SYSTEM_ADMIN : "User");

export function roleIn(project, user) {
  if (user.sysadmin_flag) return SYSTEM_ADMIN;
  return ROLES[project.current_user_role_id] || (project.metadata.public === "true" ? "Public: pull only" : "—");
}

// Project roles from the most to the least rights (Harbor's ids: admin 1, maintainer 4, developer 2,
// guest 3, limited guest 5); what a page offers is decided here, by one rule.
const RANK = [1, 4, 2, 3, 5];

// Whether `user` holds `role` or a higher one in `project` (a system administrator holds every role).
export function atLeast(project, user, role) {
  if (user.sysadmin_flag) return true;
  const held = RANK.indexOf(project.current_user_role_id);
  return held !== -1 && held <= RANK.indexOf(role);
}
