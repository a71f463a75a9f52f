//! Corpus snapshot test: every real `WWW-Authenticate` value in `corpus/www-authenticate/`
//! through the parser. Each snapshot shows the challenges (with recovered syntax errors) and the
//! Bearer/DPoP extraction.

use mcp_oauth_core::challenge;

// covers: D-3, G-3, G-6, G-7, G-12, G-13, G-15 (real servers), G-22
#[test]
fn corpus_www_authenticate() {
    insta::glob!("corpus", "www-authenticate/*.txt", |path| {
        let bytes = std::fs::read(path).unwrap();
        let challenges: Vec<_> = challenge::parse_bytes(&bytes).collect();
        let oauth = challenge::parse_bytes(&bytes).oauth();
        insta::assert_snapshot!(format!(
            "{}\n\nchallenges: {challenges:#?}\n\noauth: {oauth:#?}",
            String::from_utf8_lossy(&bytes)
        ));
    });
}
