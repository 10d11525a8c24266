// Copyright (c) Microsoft Corporation. All Rights reserved
// Licensed under the MIT license.
