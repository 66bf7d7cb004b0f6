//! The team's one rule: an organization keeps at least one admin.

use echo_protocol::team::OperatorRole;

use super::Refusal;

/// Whether a member may go from `current` to `next` (`None`: removed),
/// given how many admins the organization has besides them.
pub fn change_member(
    current: OperatorRole,
    next: Option<OperatorRole>,
    other_admins: u64,
) -> Result<(), Refusal> {
    let loses_admin = current == OperatorRole::Admin && next != Some(OperatorRole::Admin);
    if loses_admin && other_admins == 0 {
        return Err(Refusal::LastAdmin);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use OperatorRole::*;

    #[test]
    fn the_last_admin_stays() {
        assert_eq!(
            change_member(Admin, Some(Agent), 0),
            Err(Refusal::LastAdmin)
        );
        assert_eq!(change_member(Admin, None, 0), Err(Refusal::LastAdmin));
        assert_eq!(change_member(Admin, None, 1), Ok(()));
        assert_eq!(change_member(Admin, Some(Admin), 0), Ok(()));
        assert_eq!(change_member(Agent, None, 0), Ok(()));
    }
}
