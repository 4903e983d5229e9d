//! Config parsing and precedence: files, environment, flags and profiles.

use super::*;

fn settings(text: &str, env: &[(&str, &str)]) -> Result<Settings> {
    let file = parse_str(text).map_err(Error::config)?;
    resolve(file, None, &Overrides::default(), |k| {
        env.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.to_string())
    })
}

#[test]
fn unknown_key_names_line_column_and_key() {
    let err =
        parse_str("[database]\nurl = \"postgres://x/y\"\nconect_timeout_secs = 5\n").unwrap_err();
    assert!(
        err.starts_with("3:1: key `database.conect_timeout_secs`"),
        "{err}"
    );
    assert!(err.contains("unknown field"), "{err}");
}

#[test]
fn wrong_type_names_the_key() {
    let err = parse_str("[database]\nconnect_timeout_secs = \"ten\"\n").unwrap_err();
    assert!(err.starts_with("2:"), "{err}");
    assert!(err.contains("key `database.connect_timeout_secs`"), "{err}");
}

#[test]
fn syntax_error_has_a_position() {
    let err = parse_str("[database\nurl = 1\n").unwrap_err();
    assert!(err.starts_with("1:"), "{err}");
}

#[test]
fn url_precedence_flag_then_env_then_file() {
    let file = "[database]\nurl = \"postgres://file/db\"\n";
    let s = settings(file, &[]).unwrap();
    assert!(matches!(
        s.database,
        DatabaseTarget::Url {
            source: "database.url",
            ..
        }
    ));
    let s = settings(file, &[("DATABASE_URL", "postgres://env/db")]).unwrap();
    assert!(matches!(
        s.database,
        DatabaseTarget::Url {
            source: "DATABASE_URL",
            ..
        }
    ));
    let s = settings(
        file,
        &[
            ("DATABASE_URL", "postgres://env/db"),
            ("CARVE_DATABASE_URL", "postgres://carve/db"),
        ],
    )
    .unwrap();
    assert_eq!(
        s.database,
        DatabaseTarget::Url {
            url: Secret::new("postgres://carve/db"),
            source: "CARVE_DATABASE_URL"
        }
    );
    let overrides = Overrides {
        config_file: None,
        database_url: Some(Secret::new("postgres://flag/db")),
        ..Overrides::default()
    };
    let s = resolve(parse_str(file).unwrap(), None, &overrides, |k| {
        (k == "DATABASE_URL").then(|| "postgres://env/db".to_owned())
    })
    .unwrap();
    assert!(matches!(
        s.database,
        DatabaseTarget::Url {
            source: "--database-url",
            ..
        }
    ));
}

#[test]
fn no_url_means_the_embedded_cluster() {
    let s = settings("", &[("CARVE_DATA_DIR", "/srv/carve")]).unwrap();
    assert_eq!(s.database, DatabaseTarget::Local);
    assert_eq!(s.data_dir, PathBuf::from("/srv/carve"));
    assert_eq!(s.log_file, PathBuf::from("/srv/carve/carve.log"));
}

#[test]
fn relative_paths_and_bad_values_are_refused() {
    let err = settings("[local]\ndata_dir = \"carve\"\n", &[]).unwrap_err();
    assert!(
        err.message
            .contains("local.data_dir must be an absolute path")
    );
    let err = settings("", &[("CARVE_DATA_DIR", "rel")]).unwrap_err();
    assert!(err.message.contains("CARVE_DATA_DIR"));
    let err = settings("[log]\nlevel = \"loud!!\"\n", &[]).unwrap_err();
    assert!(err.message.contains("log.level"));
    assert!(settings("[log]\nlevel = \"carve=debug,sqlx=warn\"\n", &[]).is_ok());
    let err = settings("[database]\nconnect_timeout_secs = 0\n", &[]).unwrap_err();
    assert!(err.message.contains("connect_timeout_secs"));
}

#[test]
fn secrets_do_not_show_in_debug_output() {
    let s = settings("[database]\nurl = \"postgres://u:hunter2@h/db\"\n", &[]).unwrap();
    assert!(!format!("{s:?}").contains("hunter2"));
}

fn with_profile(text: &str, profile: &str, env: &[(&str, &str)]) -> Result<Settings> {
    let overrides = Overrides {
        profile: Some(profile.to_owned()),
        ..Overrides::default()
    };
    resolve(
        parse_str(text).map_err(Error::config)?,
        None,
        &overrides,
        |k| {
            env.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        },
    )
}

const PROFILES: &str = r#"
[database]
url = "postgres://carve@default/carve"
password_command = "pass show default"

[profiles.prod-eu]
url = "postgres://carve@db1.eu/carve"
read_only = true
theme = "high-contrast"

[profiles.lab]
embedded = true
"#;

#[test]
fn a_profile_chooses_database_password_theme_and_read_only() {
    let s = with_profile(
        PROFILES,
        "prod-eu",
        &[("DATABASE_URL", "postgres://env/db")],
    )
    .unwrap();
    assert_eq!(s.profile.as_deref(), Some("prod-eu"));
    assert_eq!(
        s.database,
        DatabaseTarget::Url {
            url: Secret::new("postgres://carve@db1.eu/carve"),
            source: "the profile"
        }
    );
    assert!(s.read_only);
    assert_eq!(s.theme, "high-contrast");
    assert_eq!(
        s.password_command, None,
        "the default's password stays with it"
    );
    let lab = with_profile(PROFILES, "lab", &[]).unwrap();
    assert_eq!(lab.database, DatabaseTarget::Local);
    assert!(!lab.read_only);
    // CARVE_PROFILE chooses too; without a profile the defaults hold.
    let s = resolve(
        parse_str(PROFILES).unwrap(),
        None,
        &Overrides::default(),
        |k| (k == "CARVE_PROFILE").then(|| "lab".to_owned()),
    )
    .unwrap();
    assert_eq!(s.profile.as_deref(), Some("lab"));
    let s = settings(PROFILES, &[]).unwrap();
    assert_eq!(s.profile, None);
    assert_eq!(s.password_command.as_deref(), Some("pass show default"));
}

#[test]
fn a_profile_that_cannot_be_used_is_refused() {
    let e = with_profile(PROFILES, "prod-us", &[]).unwrap_err();
    assert!(
        e.message
            .contains("no profile \"prod-us\" (known: lab, prod-eu)"),
        "{}",
        e.message
    );
    let e = with_profile("", "x", &[]).unwrap_err();
    assert!(
        e.message.contains("no [profiles.NAME] section"),
        "{}",
        e.message
    );
    let e = with_profile("[profiles.x]\nread_only = true\n", "x", &[]).unwrap_err();
    assert!(
        e.message.contains("profiles.x names no database"),
        "{}",
        e.message
    );
    let both = "[profiles.x]\nurl = \"postgres://a/b\"\nembedded = true\n";
    assert!(with_profile(both, "x", &[]).is_err());
    let e = parse_str("[profiles.x]\nurll = \"postgres://a/b\"\n").unwrap_err();
    assert!(e.contains("profiles.x.urll"), "{e}");
    let overrides = Overrides {
        profile: Some("lab".into()),
        database_url: Some(Secret::new("postgres://flag/db")),
        ..Overrides::default()
    };
    let e = resolve(parse_str(PROFILES).unwrap(), None, &overrides, |_| None).unwrap_err();
    assert!(
        e.message
            .contains("--database-url and profile \"lab\" both choose"),
        "{}",
        e.message
    );
    let e = with_profile(
        "[profiles.x]\nembedded = true\ntheme = \"my.toml\"\n",
        "x",
        &[],
    )
    .unwrap_err();
    assert!(e.message.contains("profiles.x.theme"), "{}", e.message);
}

#[test]
fn a_read_url_goes_with_the_url_beside_it() {
    let both = "[database]\nurl = \"postgres://p/carve\"\nread_url = \"postgres://s/carve\"\n";
    let s = settings(both, &[]).unwrap();
    let reading = s.for_reads().expect("reads go to the standby");
    assert_eq!(
        reading.database,
        DatabaseTarget::Url {
            url: Secret::new("postgres://s/carve"),
            source: "database.read_url"
        }
    );
    assert!(reading.read_only && reading.for_reads().is_none());
    // A URL from the environment names another database: the file's standby is not its.
    let s = settings(both, &[("CARVE_DATABASE_URL", "postgres://other/db")]).unwrap();
    assert!(s.for_reads().is_none());
    let err = settings("[database]\nread_url = \"postgres://s/carve\"\n", &[]).unwrap_err();
    assert!(err.message.contains("goes with database.url"), "{err}");

    let profiles = "[profiles.eu]\nurl = \"postgres://p/c\"\nread_url = \"postgres://s/c\"\n\
                    [profiles.lab]\nembedded = true\nread_url = \"postgres://s/c\"\n";
    let eu = with_profile(profiles, "eu", &[]).unwrap();
    assert!(eu.for_reads().is_some());
    let err = with_profile(profiles, "lab", &[]).unwrap_err();
    assert!(err.message.contains("read_url goes with url"), "{err}");
}
