//! Finding our own container: candidates from an explicit override,
//! `/proc/self/mountinfo` (the `/etc/hostname` bind mount names
//! `…/containers/<id>/hostname`), `/proc/self/cgroup`, then the hostname.
//! The caller accepts the first one the Docker API can inspect.

/// Environment variable that names our container explicitly.
pub const CONTAINER_ENV: &str = "FAKE_SERVICER_CONTAINER";

fn is_container_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Container ids found in mountinfo text (`…/containers/<id>/hostname`).
pub fn from_mountinfo(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for line in text.lines() {
        for field in line.split_whitespace() {
            let mut parts = field.split('/').peekable();
            while let Some(part) = parts.next() {
                if part == "containers"
                    && let Some(id) = parts.peek()
                    && is_container_id(id)
                    && !ids.iter().any(|x| x == id)
                {
                    ids.push((*id).to_owned());
                }
            }
        }
    }
    ids
}

/// Container ids found in cgroup text (`/docker/<id>`, `docker-<id>.scope`).
pub fn from_cgroup(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for line in text.lines() {
        let path = line.rsplit(':').next().unwrap_or("");
        for part in path.split('/') {
            let part = part.strip_prefix("docker-").unwrap_or(part);
            let part = part.strip_suffix(".scope").unwrap_or(part);
            if is_container_id(part) && !ids.iter().any(|x| x == part) {
                ids.push(part.to_owned());
            }
        }
    }
    ids
}

/// Whether this process looks like it runs in a container: named by
/// [`CONTAINER_ENV`], marked by the engine (`/.dockerenv`,
/// `/run/.containerenv`), or with a container id in its mounts or cgroup.
pub fn in_a_container() -> bool {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    std::env::var(CONTAINER_ENV).is_ok_and(|v| !v.trim().is_empty())
        || ["/.dockerenv", "/run/.containerenv"]
            .iter()
            .any(|p| std::path::Path::new(p).exists())
        || !from_mountinfo(&read("/proc/self/mountinfo")).is_empty()
        || !from_cgroup(&read("/proc/self/cgroup")).is_empty()
}

/// Every candidate, most trustworthy first.
pub fn candidates() -> Vec<String> {
    let mut all = Vec::new();
    if let Ok(explicit) = std::env::var(CONTAINER_ENV)
        && !explicit.trim().is_empty()
    {
        all.push(explicit.trim().to_owned());
    }
    if let Ok(text) = std::fs::read_to_string("/proc/self/mountinfo") {
        all.extend(from_mountinfo(&text));
    }
    if let Ok(text) = std::fs::read_to_string("/proc/self/cgroup") {
        all.extend(from_cgroup(&text));
    }
    if let Ok(h) = std::fs::read_to_string("/etc/hostname") {
        let h = h.trim();
        if !h.is_empty() {
            all.push(h.to_owned());
        }
    }
    let mut seen = Vec::new();
    all.retain(|c| {
        let fresh = !seen.contains(c);
        seen.push(c.clone());
        fresh
    });
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b";

    #[test]
    fn mountinfo_names_the_container() {
        let text = format!(
            "1234 1200 254:0 /var/lib/docker/containers/{ID}/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw\n\
             1235 1200 254:0 /var/lib/docker/containers/{ID}/hosts /etc/hosts rw,relatime - ext4 /dev/vda rw\n\
             1236 1200 0:50 / /proc rw - proc proc rw\n"
        );
        assert_eq!(from_mountinfo(&text), [ID]);
        assert!(from_mountinfo("1 2 3:4 / / rw - ext4 /dev/vda rw\n").is_empty());
    }

    #[test]
    fn cgroup_v1_and_systemd_forms() {
        assert_eq!(from_cgroup(&format!("12:memory:/docker/{ID}\n")), [ID]);
        assert_eq!(
            from_cgroup(&format!("0::/system.slice/docker-{ID}.scope\n")),
            [ID]
        );
        assert!(from_cgroup("0::/\n").is_empty());
    }
}
