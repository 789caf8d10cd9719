//! Products, editions, roles and the other closed vocabularies of the model.

use crate::error::{CoreError, Result};

macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident, $field:literal, { $($variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        pub enum $name { $( #[serde(rename = $s)] $variant ),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            pub fn parse(s: &str) -> Result<Self> {
                match s {
                    $($s => Ok($name::$variant),)+
                    _ => Err(CoreError::validation(
                        $field,
                        format!("must be one of: {}", [$($s),+].join(", ")),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(/// A product of the suite.
    Product, "product", {
    JiraSoftware => "jira-software",
    JiraServiceManagement => "jira-service-management",
    JiraWorkManagement => "jira-work-management",
    Confluence => "confluence",
    Bitbucket => "bitbucket",
    Trello => "trello",
    Statuspage => "statuspage",
});

impl Product {
    /// The product's name as people say it.
    pub fn display_name(self) -> &'static str {
        match self {
            Product::JiraSoftware => "Jira Software",
            Product::JiraServiceManagement => "Jira Service Management",
            Product::JiraWorkManagement => "Jira Work Management",
            Product::Confluence => "Confluence",
            Product::Bitbucket => "Bitbucket",
            Product::Trello => "Trello",
            Product::Statuspage => "Statuspage",
        }
    }

    /// Editions this product is sold in.
    pub fn editions(self) -> &'static [Edition] {
        match self {
            Product::Statuspage => &[Edition::Hobby, Edition::Startup, Edition::Business, Edition::Enterprise],
            _ => &[Edition::Free, Edition::Standard, Edition::Premium, Edition::Enterprise],
        }
    }

    /// Roles an account or group can hold on an instance of this product.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Product::JiraServiceManagement => &[Role::Agent, Role::Customer, Role::Admin],
            _ => &[Role::User, Role::Admin],
        }
    }
}

vocabulary!(/// A product edition (plan of one instance).
    Edition, "edition", {
    Free => "free",
    Standard => "standard",
    Premium => "premium",
    Enterprise => "enterprise",
    Hobby => "hobby",
    Startup => "startup",
    Business => "business",
});

vocabulary!(/// A role on a product instance. `customer` is Jira Service Management's portal-only customer.
    Role, "role", {
    User => "user",
    Admin => "admin",
    Agent => "agent",
    Customer => "customer",
});

vocabulary!(/// Whether an account can sign in.
    AccountStatus, "status", {
    Active => "active",
    Deactivated => "deactivated",
});

vocabulary!(/// The organization's Gatehouse plan.
    Plan, "plan", {
    Free => "free",
    Standard => "standard",
    Enterprise => "enterprise",
});

vocabulary!(/// Why an organization pays nothing for anyone: the operator grants it.
    FreeKind, "free", {
    Community => "community",
    Academic => "academic",
});

/// Checks that `edition` is sold for `product`.
pub fn check_edition(product: Product, edition: Edition) -> Result<()> {
    if product.editions().contains(&edition) {
        Ok(())
    } else {
        let list: Vec<&str> = product.editions().iter().map(|e| e.as_str()).collect();
        Err(CoreError::validation(
            "edition",
            format!("{} is sold as: {}", product.display_name(), list.join(", ")),
        ))
    }
}

/// Checks that `role` exists on `product`.
pub fn check_role(product: Product, role: Role) -> Result<()> {
    if product.roles().contains(&role) {
        Ok(())
    } else {
        let list: Vec<&str> = product.roles().iter().map(|r| r.as_str()).collect();
        Err(CoreError::validation(
            "role",
            format!("roles on {} are: {}", product.display_name(), list.join(", ")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuspage_is_not_sold_as_premium() {
        assert!(check_edition(Product::Statuspage, Edition::Premium).is_err());
        assert!(check_edition(Product::Statuspage, Edition::Hobby).is_ok());
    }

    #[test]
    fn portal_only_customers_exist_only_in_service_management() {
        assert!(check_role(Product::JiraServiceManagement, Role::Customer).is_ok());
        assert!(check_role(Product::Confluence, Role::Customer).is_err());
        assert!(check_role(Product::JiraServiceManagement, Role::User).is_err());
    }

    #[test]
    fn every_product_parses_from_its_own_name() {
        for p in Product::ALL {
            assert_eq!(Product::parse(p.as_str()).unwrap(), *p);
        }
    }
}
