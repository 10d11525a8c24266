//! Word tables the records draw names, apps, places and operations from.

pub(super) const FIRST: &[&str] = &[
    "Anna", "Ben", "Chloé", "David", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kai",
    "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tomás", "Uma", "Vera",
    "Wen", "Yusuf", "Zoë",
];
pub(super) const LAST: &[&str] = &[
    "Andersen", "Becker", "Costa", "Dubois", "Eriksson", "Fischer", "García", "Hansen", "Ito",
    "Jensen", "Kowalski", "López", "Müller", "Nakamura", "O'Brien", "Petrov", "Rossi", "Schmidt",
    "Tanaka", "Weber", "Yilmaz", "Zhang",
];
pub(super) const APPS: &[&str] = &[
    "Microsoft Teams",
    "Office 365 Exchange Online",
    "Microsoft Authentication Broker",
    "OneDrive SyncEngine",
    "Microsoft Office",
    "Outlook Mobile",
    "Azure Portal",
    "Microsoft Edge",
    "Windows Sign In",
    "Microsoft Azure CLI",
    "Microsoft Graph PowerShell",
    "SharePoint Online Web Client Extensibility",
    "Power BI Desktop",
    "Visual Studio Code",
    "My Apps",
    "Microsoft Intune Company Portal",
    "Zoom",
    "Salesforce",
    "ServiceNow",
    "Dropbox Business",
    "Slack",
    "Atlassian Cloud",
    "Workday",
    "Adobe Creative Cloud",
];
pub(super) const RESOURCES: &[&str] = &[
    "Microsoft Graph",
    "Office 365 Exchange Online",
    "Windows Azure Service Management API",
    "Microsoft Teams Services",
    "Office 365 SharePoint Online",
    "Azure Key Vault",
    "Windows Azure Active Directory",
    "Microsoft Intune",
    "Azure Storage",
    "Azure Monitor Restricted",
];
pub(super) const BROWSERS: &[&str] = &[
    "Edge 120.0.0",
    "Chrome 121.0.0",
    "Firefox 122.0",
    "Safari 17.2",
    "Rich Client 4.40.0.0",
    "Mobile Safari",
    "IE 11.0",
];
pub(super) const OSES: &[&str] = &[
    "Windows 10",
    "Windows10",
    "Windows 11",
    "MacOs",
    "Ios 17.2",
    "Android 14",
    "Linux",
];
pub(super) const CLIENT_APPS: &[&str] = &[
    "Browser",
    "Mobile Apps and Desktop clients",
    "Exchange ActiveSync",
    "IMAP",
    "SMTP",
    "Exchange Web Services",
];
pub(super) const LIBS: &[&str] = &[
    "Family: MSAL Library: MSAL.NET 4.54.1.0 Platform: .NET FW",
    "Family: MSAL Library: MSAL.Java 1.10.0 Platform: Java",
    "Family: ADAL Library: ADAL.NET 3.19.8 Platform: .NET",
    "Family: MSAL Library: MSAL.Python 1.24.0 Platform: Python",
    "",
];
pub(super) const AUDIT_OPS: &[(&str, &str, &str)] = &[
    ("Update user", "UserManagement", "Update"),
    ("Add member to group", "GroupManagement", "Assign"),
    ("Remove member from group", "GroupManagement", "Unassign"),
    (
        "Update service principal",
        "ApplicationManagement",
        "Update",
    ),
    (
        "Add app role assignment to service principal",
        "ApplicationManagement",
        "Assign",
    ),
    ("Reset user password", "UserManagement", "Update"),
    ("Add device", "Device", "Add"),
    ("Update conditional access policy", "Policy", "Update"),
    ("Add member to role", "RoleManagement", "Assign"),
];
pub(super) const GRAPH_URIS: &[&str] = &[
    "/v1.0/me",
    "/v1.0/users?$select=id,displayName&$top=999",
    "/beta/devices?$filter=deviceId eq 'x'\\u0026$search=abc",
    "/v1.0/groups/{id}/members",
    "/v1.0/me/photos/96x96/$value",
    "/v1.0/organization",
    "/beta/auditLogs/signIns?$top=50",
];
pub(super) const RISK_TYPES: &[&str] = &[
    "unfamiliarFeatures",
    "anonymizedIPAddress",
    "passwordSpray",
    "impossibleTravel",
    "maliciousIPAddress",
    "leakedCredentials",
];

pub(super) struct Place {
    pub(super) country: &'static str,
    pub(super) state: &'static str,
    pub(super) city: &'static str,
    pub(super) lat: f64,
    pub(super) lon: f64,
}

pub(super) const PLACES: &[Place] = &[
    Place {
        country: "US",
        state: "Washington",
        city: "Redmond",
        lat: 47.674,
        lon: -122.121,
    },
    Place {
        country: "US",
        state: "New York",
        city: "New York",
        lat: 40.713,
        lon: -74.006,
    },
    Place {
        country: "DE",
        state: "Bayern",
        city: "München",
        lat: 48.137,
        lon: 11.575,
    },
    Place {
        country: "GB",
        state: "England",
        city: "London",
        lat: 51.507,
        lon: -0.128,
    },
    Place {
        country: "FR",
        state: "Île-de-France",
        city: "Paris",
        lat: 48.857,
        lon: 2.352,
    },
    Place {
        country: "IN",
        state: "Telangana",
        city: "Hyderabad",
        lat: 17.385,
        lon: 78.487,
    },
    Place {
        country: "JP",
        state: "Tokyo",
        city: "Tokyo",
        lat: 35.676,
        lon: 139.650,
    },
    Place {
        country: "BR",
        state: "São Paulo",
        city: "São Paulo",
        lat: -23.550,
        lon: -46.633,
    },
    Place {
        country: "NL",
        state: "Noord-Holland",
        city: "Amsterdam",
        lat: 52.370,
        lon: 4.895,
    },
    Place {
        country: "AU",
        state: "New South Wales",
        city: "Sydney",
        lat: -33.869,
        lon: 151.209,
    },
];
