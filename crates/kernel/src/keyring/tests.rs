use super::*;

#[test]
fn sealed_values_open_only_with_the_same_purpose() {
    let ring = Keyring::ephemeral();
    let sealed = ring.seal("signing-key", b"secret");
    assert!(!sealed.contains("secret"));
    assert_eq!(&ring.open("signing-key", &sealed).unwrap()[..], b"secret");
    assert!(ring.open("other", &sealed).is_err());
    let mut tampered = sealed.clone();
    tampered.pop();
    tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
    assert!(ring.open("signing-key", &tampered).is_err());
}

#[test]
fn key_file_is_created_private_and_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let first = Keyring::load_or_create(dir.path()).unwrap();
    let sealed = first.seal("p", b"x");
    let again = Keyring::load_or_create(dir.path()).unwrap();
    assert_eq!(&again.open("p", &sealed).unwrap()[..], b"x");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("keys/data.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn racing_creators_agree_on_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let rings: Vec<Keyring> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8).map(|_| s.spawn(|| Keyring::load_or_create(dir.path()).unwrap())).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let sealed = rings[0].seal("p", b"same");
    for ring in &rings {
        assert_eq!(&ring.open("p", &sealed).unwrap()[..], b"same");
    }
}

#[test]
fn a_new_key_seals_while_the_old_ones_still_open() {
    let dir = tempfile::tempdir().unwrap();
    let ring = Keyring::load_or_create(dir.path()).unwrap();
    let first = ring.current();
    let old = ring.seal("p", b"before");
    let second = ring.add_key().unwrap();
    assert_ne!(first, second);
    assert_eq!(ring.current(), second);
    assert_eq!(Keyring::kid_of(&old), Some(first.as_str()));
    assert_eq!(&ring.open("p", &old).unwrap()[..], b"before");
    let new = ring.seal("p", b"after");
    assert_eq!(Keyring::kid_of(&new), Some(second.as_str()));
    let resealed = ring.reseal("p", &old).unwrap();
    assert_eq!(Keyring::kid_of(&resealed), Some(second.as_str()));
    assert_eq!(&ring.open("p", &resealed).unwrap()[..], b"before");
    assert!(ring.reseal("other purpose", &old).is_err(), "a value re-seals only for its own purpose");
    let text = std::fs::read_to_string(dir.path().join("keys/data.key")).unwrap();
    assert_eq!(text.lines().count(), 2, "the file keeps both keys, the new one last");
}

#[test]
fn a_node_opens_values_sealed_under_a_key_another_process_added() {
    let dir = tempfile::tempdir().unwrap();
    let node = Keyring::load_or_create(dir.path()).unwrap();
    let cli = Keyring::load_or_create(dir.path()).unwrap();
    let kid = cli.add_key().unwrap();
    let sealed = cli.seal("p", b"rotated");
    assert_eq!(&node.open("p", &sealed).unwrap()[..], b"rotated", "the unknown key id made it read the file");
    assert_eq!(node.current(), kid);
    assert_eq!(Keyring::kid_of(&node.seal("p", b"x")), Some(kid.as_str()));
}

#[test]
fn values_under_unknown_keys_or_malformed_do_not_open() {
    let ring = Keyring::ephemeral();
    for bad in ["", "v1", "v1.dk-nope.AAAA", "v2.x.y", "v1..", "plain text"] {
        assert!(ring.open("p", bad).is_err(), "{bad}");
    }
    let other = Keyring::ephemeral();
    assert!(ring.open("p", &other.seal("p", b"x")).is_err());
}
