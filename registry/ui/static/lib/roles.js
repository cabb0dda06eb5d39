// How roles are named, by one rule: a system administrator is "System admin" everywhere, in every
// project whatever its membership there; anyone else has the role of their membership.

export const ROLES = { 1: "Project admin", 4: "Maintainer", 2: "Developer", 3: "Guest", 5: "Limited guest" };
export const SYSTEM_ADMIN = "System admin";

export const accountRole = (user) => (user.sysadmin_flag ? SYSTEM_ADMIN : "User");

export function roleIn(project, user) {
  if (user.sysadmin_flag) return SYSTEM_ADMIN;
  return ROLES[project.current_user_role_id] || (project.metadata.public === "true" ? "Public: pull only" : "—");
}
