//! Users, organizations, memberships, teams and team seats, and the list of
//! (organization, subject, team) triples the `/authz/check` load cycles through.

use std::collections::HashSet;
use std::io::Write;
use std::time::Instant;

use sea_orm::{DbErr, Set};
use serde_json::{Value, json};
use tessera_identity::PasswordConfig;
use tessera_identity::testing::users;
use tessera_kernel::db::Db;
use tessera_kernel::ids::{OrgId, TeamId, UserId};
use tessera_kernel::roles::{BuiltInRole, TeamRole};
use tessera_orgs::testing::{members, orgs, team_members, teams};

use super::{Fixture, Plan, insert_all, secs};

/// Team roles handed out in turn.
const TEAM_ROLES: [TeamRole; 3] = [TeamRole::Admin, TeamRole::Member, TeamRole::Viewer];

/// One argon2id hash of `password`, made by tessera's own hasher with its configured parameters.
pub async fn password_hash(cfg: &PasswordConfig, password: &str) -> Result<String, String> {
    tessera_identity::testing::hash_password(cfg, password).await
}

fn user_row(i: usize, id: UserId, hash: &str, at: i64) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(id),
        email: Set(Fixture::email(i)),
        email_verified_at: Set(Some(at)),
        password_hash: Set(Some(hash.to_owned())),
        name: Set(format!("Seed user {i}")),
        avatar_url: Set(None),
        locale: Set(None),
        timezone: Set(None),
        status: Set(tessera_identity::testing::UserStatus::Active),
        role: Set(tessera_kernel::PlatformRole::User),
        metadata: Set(json!({})),
        preferences: Set(json!({})),
        failed_logins: Set(0),
        lockouts: Set(0),
        locked_until: Set(None),
        last_failed_login_at: Set(None),
        password_changed_at: Set(Some(at)),
        last_login_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

fn org_row(o: usize, id: OrgId, at: i64) -> orgs::ActiveModel {
    orgs::ActiveModel {
        id: Set(id),
        name: Set(format!("Bench organization {o}")),
        slug: Set(format!("bench-org-{o}")),
        settings: Set(json!({})),
        metadata: Set(json!({ "plan": if o.is_multiple_of(10) { "enterprise" } else { "team" } })),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

/// Builds the ids, then inserts users, organizations, members, teams and seats.
pub async fn seed(db: &Db, plan: Plan, hash: String, now_ms: i64) -> Result<(Fixture, Value), DbErr> {
    // Everything was created 100 days ago; the audit log covers the 90 days since.
    let at = now_ms - 100 * 86_400_000;
    let users: Vec<UserId> = (0..plan.users).map(|_| UserId::new()).collect();
    let orgs: Vec<OrgId> = (0..plan.orgs).map(|_| OrgId::new()).collect();
    let teams: Vec<Vec<TeamId>> =
        (0..plan.orgs).map(|_| (0..plan.teams_per_org).map(|_| TeamId::new()).collect()).collect();
    let batch = plan.batch;
    let f = Fixture { plan, users, orgs, teams, created_at: at };

    let t = Instant::now();
    let rows = f.users.iter().enumerate().map(|(i, id)| user_row(i, *id, &hash, at)).collect();
    insert_all(db, rows, batch.min(500)).await?;
    let users_s = secs(t);

    let t = Instant::now();
    let rows = f.orgs.iter().enumerate().map(|(o, id)| org_row(o, *id, at)).collect();
    insert_all(db, rows, batch).await?;
    let mut member_rows = Vec::new();
    for o in 0..f.plan.orgs {
        let mut seen = HashSet::new();
        for j in 0..f.plan.members_per_org {
            let u = f.member(o, j);
            seen.insert(u);
            member_rows.push(member_row(&f, o, u, f.role_of(j), at));
        }
        // The service asks about anyone: it needs `authz:check` everywhere.
        if !seen.contains(&0) {
            member_rows.push(member_row(&f, o, 0, BuiltInRole::Admin, at));
        }
    }
    let memberships = member_rows.len();
    insert_all(db, member_rows, batch).await?;
    let orgs_s = secs(t);

    let t = Instant::now();
    let mut team_rows = Vec::new();
    let mut seat_rows = Vec::new();
    for (o, ids) in f.teams.iter().enumerate() {
        for (k, id) in ids.iter().enumerate() {
            team_rows.push(teams::ActiveModel {
                id: Set(*id),
                org_id: Set(f.orgs[o]),
                name: Set(format!("Team {k:02}")),
                description: Set((k % 4 == 0).then(|| format!("Team {k} of organization {o}"))),
                created_at: Set(at),
                updated_at: Set(at),
            });
        }
        // Member j sits in team j (mod teams), with the team roles in turn.
        for j in 0..f.plan.members_per_org {
            seat_rows.push(team_members::ActiveModel {
                team_id: Set(ids[j % ids.len()]),
                user_id: Set(f.users[f.member(o, j)]),
                org_id: Set(f.orgs[o]),
                role: Set(TEAM_ROLES[j % 3]),
                added_at: Set(at),
            });
        }
    }
    let (team_count, seats) = (team_rows.len(), seat_rows.len());
    insert_all(db, team_rows, batch).await?;
    insert_all(db, seat_rows, batch).await?;
    let teams_s = secs(t);

    let report = json!({
        "users": f.plan.users, "usersSeconds": users_s,
        "orgs": f.plan.orgs, "memberships": memberships, "orgsSeconds": orgs_s,
        "teams": team_count, "seats": seats, "teamsSeconds": teams_s,
    });
    Ok((f, report))
}

fn member_row(f: &Fixture, o: usize, u: usize, role: BuiltInRole, at: i64) -> members::ActiveModel {
    members::ActiveModel {
        org_id: Set(f.orgs[o]),
        user_id: Set(f.users[u]),
        role: Set(role.into()),
        joined_at: Set(at),
    }
}

/// Writes `checks.txt`: one `orgId subjectId teamId` line per membership (the team
/// is the member's own for even members, another one for odd members), plus one
/// subject of the next organization in ten (usually not a member). Returns its path.
pub fn write_checks(f: &Fixture) -> std::io::Result<String> {
    let path = f.plan.out_dir.join("checks.txt");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let (m, t) = (f.plan.members_per_org, f.plan.teams_per_org);
    for o in 0..f.plan.orgs {
        for j in 0..m {
            let team = if j % 2 == 0 { j % t } else { (j + t / 2 + 1) % t };
            writeln!(out, "{} {} {}", f.orgs[o], f.users[f.member(o, j)], f.teams[o][team])?;
            if j % 10 == 9 {
                let stranger = f.member((o + 1) % f.plan.orgs, j);
                writeln!(out, "{} {} {}", f.orgs[o], f.users[stranger], f.teams[o][j % t])?;
            }
        }
    }
    out.flush()?;
    Ok(path.display().to_string())
}
