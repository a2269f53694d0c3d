//! Proxies: a refused proxy is named as the proxy (without its password),
//! not as the deployment; `http://` URLs use `HTTP_PROXY` and `https://`
//! URLs `HTTPS_PROXY`, as curl does.

use std::net::TcpListener;

use super::adaptive_pull::pull;
use super::standin::{self, Standin};

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn fails(var: &str, proxy: &str, url: &str) -> String {
    let out = pull(Some(standin::KEY))
        .env(var, proxy)
        .args(["--url", url])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        !stderr.contains("s3cret"),
        "proxy password printed: {stderr}"
    );
    stderr
}

#[test]
fn a_refused_proxy_is_named_not_the_deployment() {
    let proxy_port = closed_port();
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    let with_password = format!("http://bob:s3cret@127.0.0.1:{proxy_port}");
    let target = format!("http://127.0.0.1:{}", closed_port());
    let err = fails("HTTP_PROXY", &with_password, &target);
    assert!(
        err.contains(&format!("cannot reach the proxy `{proxy}`")) && err.contains("HTTP_PROXY"),
        "{err}"
    );
    assert!(!err.contains(&format!("cannot reach `{target}`")), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // The scheme is read in any case, as the URL is.
    for scheme in ["https", "HTTPS"] {
        let target = format!("{scheme}://127.0.0.1:{}", closed_port());
        let err = fails("HTTPS_PROXY", &with_password, &target);
        assert!(
            err.contains(&format!("cannot reach the proxy `{proxy}`"))
                && err.contains("HTTPS_PROXY"),
            "{err}"
        );
    }
}

#[test]
fn https_proxy_is_not_used_for_http_urls() {
    let standin = Standin::start(&standin::sample());
    let dead = format!("http://127.0.0.1:{}", closed_port());
    pull(Some(standin::KEY))
        .env("HTTPS_PROXY", &dead)
        .args(["--url", standin.url()])
        .assert()
        .success();
    // and HTTP_PROXY is not used for https:// URLs: the refused proxy is
    // not what the error names.
    let target = format!("https://127.0.0.1:{}", closed_port());
    let err = fails("HTTP_PROXY", &dead, &target);
    assert!(!err.contains("proxy"), "{err}");
}

#[test]
fn no_proxy_still_bypasses_the_proxy() {
    let standin = Standin::start(&standin::sample());
    let dead = format!("http://127.0.0.1:{}", closed_port());
    pull(Some(standin::KEY))
        .env("HTTP_PROXY", &dead)
        .env("NO_PROXY", "127.0.0.1")
        .args(["--url", standin.url()])
        .assert()
        .success();
}
