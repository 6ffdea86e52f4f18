//! Where a resource lives: an account and a Region. A stack has a home (`[stack] region`, the
//! credentials' account or `[stack] assume_role`'s); a module call or a resource table may put
//! what it declares elsewhere (`region`, `assume_role`). Every resource carries its location in
//! an ownership tag, so that a run never takes another location's resources for its own.

use super::Environment;
use std::fmt;

/// Tag holding where a resource was declared to live, `ACCOUNT/REGION` (for an IAM role, global
/// in its account, the Region of the instance declaring it).
pub const LOCATION_TAG: &str = "provision:location";

/// Tag holding the home of the deployment that made a resource, `ACCOUNT/REGION`: the account
/// and Region of `[stack]`, where its lock lives. A run takes for its own only resources of its
/// own home: the same stack file applied from another Region (a Region-by-Region rollout), or a
/// partner account's stack of the same name, is another deployment, and left alone.
pub const HOME_TAG: &str = "provision:home";

/// An account and a Region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
pub struct Location {
    pub account: String,
    pub region: String,
}

impl Location {
    pub fn new(account: &str, region: &str) -> Location {
        Location { account: account.into(), region: region.into() }
    }

    /// The value of [`LOCATION_TAG`].
    ///
    /// ```
    /// let at = provision::model::Location::new("123456789012", "eu-west-1");
    /// assert_eq!(at.tag_value(), "123456789012/eu-west-1");
    /// assert_eq!(provision::model::Location::from_tag("123456789012/eu-west-1"), Some(at));
    /// assert_eq!(provision::model::Location::from_tag("eu-west-1"), None);
    /// ```
    pub fn tag_value(&self) -> String {
        format!("{}/{}", self.account, self.region)
    }

    /// A location from its tag's value (`None`: not one provision writes).
    pub fn from_tag(value: &str) -> Option<Location> {
        let (account, region) = value.split_once('/')?;
        (is_account_id(account) && region_is_well_formed(region)).then(|| Location::new(account, region))
    }

    /// The values ARNs are built from, here.
    pub fn env(&self) -> Environment {
        Environment { region: self.region.clone(), account_id: self.account.clone(), ..Default::default() }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in account {}", self.region, self.account)
    }
}

/// How provision reaches an account that is not the credentials' own: a role it assumes (STS
/// AssumeRole from the default credential chain).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssumeRole {
    pub arn: String,
    pub external_id: Option<String>,
}

impl AssumeRole {
    /// The account of the role (`None`: not a role ARN, which rule G2 reports).
    ///
    /// ```
    /// let role = provision::model::AssumeRole { arn: "arn:aws:iam::210987654321:role/deploy".into(), external_id: None };
    /// assert_eq!(role.account(), Some("210987654321"));
    /// ```
    pub fn account(&self) -> Option<&str> {
        role_arn_account(&self.arn)
    }
}

/// A twelve-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account of an IAM role ARN (`arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`), when it is one.
pub fn role_arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (arn_word, partition, service, region, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    let ok = arn_word == "arn"
        && ["aws", "aws-cn", "aws-us-gov"].contains(&partition)
        && service == "iam"
        && region.is_empty()
        && is_account_id(account)
        && !name.is_empty()
        && name.len() <= 64
        && super::kinds::matches_charset(name, "_+=,.@-");
    ok.then_some(account)
}

/// Whether `region` has the shape of an AWS Region name: `us-east-1`, `eu-central-2`,
/// `us-gov-west-1`, `cn-north-1`.
///
/// ```
/// use provision::model::region_is_well_formed as ok;
/// assert!(ok("us-east-1") && ok("ap-southeast-7") && ok("us-gov-west-1") && ok("cn-northwest-1"));
/// assert!(!ok("us-east") && !ok("US-EAST-1") && !ok("eu_west_1") && !ok("europe") && !ok(""));
/// ```
pub fn region_is_well_formed(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let letters = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
    let (geo, rest) = match parts.as_slice() {
        [geo, "gov", rest @ ..] => (geo, rest),
        [geo, rest @ ..] => (geo, rest),
        [] => return false,
    };
    match rest {
        [direction, number] => {
            geo.len() == 2
                && letters(geo)
                && letters(direction)
                && !number.is_empty()
                && number.len() <= 2
                && number.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// The Regions AWS lists (the SDK's endpoint metadata, December 2026): a well-formed name
/// outside this list is a warning, not an error (a Region newer than this provision).
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_name_their_account_and_nothing_else_passes() {
        assert_eq!(role_arn_account("arn:aws:iam::123456789012:role/deploy"), Some("123456789012"));
        assert_eq!(role_arn_account("arn:aws-cn:iam::123456789012:role/team/deploy"), Some("123456789012"));
        for bad in [
            "arn:aws:iam::123456789012:user/deploy",
            "arn:aws:iam::12345678901:role/deploy",
            "arn:aws:iam:us-east-1:123456789012:role/deploy",
            "arn:aws:sts::123456789012:role/deploy",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/has space",
            "deploy",
        ] {
            assert_eq!(role_arn_account(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_known_region_is_well_formed() {
        for r in KNOWN_REGIONS {
            assert!(region_is_well_formed(r), "{r}");
        }
    }

    #[test]
    fn a_location_tag_names_an_account_and_a_region() {
        assert_eq!(
            Location::from_tag("123456789012/us-gov-west-1"),
            Some(Location::new("123456789012", "us-gov-west-1"))
        );
        for bad in ["123/us-east-1", "123456789012/", "/us-east-1", "123456789012/us-east-1/x", ""] {
            assert_eq!(Location::from_tag(bad), None, "{bad}");
        }
    }
}
