// Copyright (c) Microsoft Corporation. All Rights reserved
// Licensed under the MIT license.
pub(crate) mod cbs;
pub(crate) mod connection;
pub(crate) mod error;
pub(crate) mod management;
pub(crate) mod messaging;
pub(crate) mod receiver;
pub(crate) mod sender;
pub(crate) mod session;
pub(crate) mod value;
