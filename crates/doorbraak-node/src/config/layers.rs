//! The layers of a configuration, merged by figment: the file, then the `DOORBRAAK__*`
//! environment variables, each named as the source of its values in an error.

use std::path::{Path, PathBuf};

use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::{ConfigError, NodeConfig};

/// The prefix of an environment override; `__` separates the levels of the key.
pub const ENV_PREFIX: &str = "DOORBRAAK__";

/// One layer: values, and where they came from.
struct Layer {
    name: String,
    source: Option<PathBuf>,
    data: Dict,
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        let m = Metadata::named(self.name.clone());
        match &self.source {
            Some(p) => m.source(figment::Source::File(p.clone())),
            None => m,
        }
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.data.clone()))
    }
}

/// The configuration in `text` (from `path`) with the overrides in `env`, not yet validated.
pub(super) fn extract(
    text: &str,
    path: &Path,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<NodeConfig, ConfigError> {
    let parse = |message: String| ConfigError::Parse {
        path: path.to_owned(),
        message,
    };
    let table: toml::Table = toml::from_str(text).map_err(|e| parse(e.to_string()))?;
    let file = match Value::serialize(&table) {
        Ok(Value::Dict(_, d)) => d,
        Ok(_) => Dict::new(),
        Err(e) => return Err(parse(e.to_string())),
    };
    let mut figment = Figment::new().merge(Layer {
        name: format!("config file {}", path.display()),
        source: Some(path.to_owned()),
        data: file,
    });
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX))
        .collect();
    vars.sort();
    for (name, raw) in vars {
        let key = name[ENV_PREFIX.len()..]
            .split("__")
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
            .join(".");
        if key.split('.').any(str::is_empty) {
            return Err(ConfigError::Invalid {
                key: name,
                message: "names no key (use DOORBRAAK__SECTION__KEY)".into(),
            });
        }
        // kept as the string it is (an OIN, a numeric password or client id stay strings):
        // the lossy extraction below makes a number or a boolean of it where one is wanted
        let value = Value::from(raw);
        let data = figment::util::nest(&key, value)
            .into_dict()
            .unwrap_or_default();
        figment = figment.merge(Layer {
            name: format!("environment variable {name}"),
            source: None,
            data,
        });
    }
    figment.extract_lossy::<NodeConfig>().map_err(|e| {
        let key = e.path.join(".");
        let from = e
            .metadata
            .as_ref()
            .map(|m| m.name.to_string())
            .unwrap_or_else(|| format!("config file {}", path.display()));
        let message = e.kind.to_string();
        if key.is_empty() {
            parse(format!("{message} ({from})"))
        } else {
            ConfigError::Invalid {
                key,
                message: format!("{message} ({from})"),
            }
        }
    })
}
