//! The first source: a request that this server's own proxy forwarded and
//! that came back to it (a proxying stub aimed at this server, directly or
//! through other proxies) is answered 508 Loop Detected at once, instead of
//! being forwarded again and again.

use super::{Answer, Asked, Reply, Source};
use crate::{proxy::Proxy, refusal::Refusal};

/// Stops proxy loops at the first hop.
pub(crate) struct LoopGuard {
    pub proxy: Proxy,
}

impl Source for LoopGuard {
    fn reply<'a>(&'a self, asked: &'a Asked<'a>) -> Reply<'a> {
        if !self.proxy.came_back(&asked.req.headers) {
            return Reply::Pass;
        }
        let via = self.proxy.via().to_str().unwrap_or("fake-servicer");
        Reply::Now(Answer::server(Refusal::ProxyLoop { via }.plan()))
    }
}
