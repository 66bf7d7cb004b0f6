//! The process's open-file limit. Each open widget holds a connection and
//! so a file descriptor; the usual soft limit (1,024, or whatever the
//! service manager set) would refuse connections long before memory or CPU
//! run out, so the server raises it to the hard limit at start.

/// The soft limit before and after raising it to the hard limit.
pub fn raise_to_hard_limit() -> std::io::Result<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write only the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let before = limit.rlim_cur;
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok((before, limit.rlim_cur))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_soft_limit_ends_at_the_hard_limit() {
        let (before, after) = super::raise_to_hard_limit().expect("getrlimit");
        assert!(after >= before);
        let (again, same) = super::raise_to_hard_limit().expect("getrlimit");
        assert_eq!((again, same), (after, after));
    }
}
