/* SPDX-License-Identifier: MIT */
#pragma once

/* The MESSAGE_ID of each lifecycle event the agent logs: 128-bit ids generated once (never change one:
 * users filter on them), explained by units/pandora.catalog for `journalctl -x` and listed in
 * pandora-agent(8). Each macro is the whole field, for log_event(). */

#define PANDORA_MESSAGE_SERVICE_STARTING "MESSAGE_ID=80e52aef21cd4ffebe025867602c5362"
#define PANDORA_MESSAGE_SERVICE_STARTED  "MESSAGE_ID=11f9bc7c0ee5451e8f40a1d3a5450107"
#define PANDORA_MESSAGE_SERVICE_FAILED   "MESSAGE_ID=e5e49b3d2250463fa0cb3d046c3e83c2"
#define PANDORA_MESSAGE_SERVICE_STOPPING "MESSAGE_ID=3487d2ace4ec49ba972612b9a1d0fb09"
#define PANDORA_MESSAGE_SERVICE_STOPPED  "MESSAGE_ID=7c5d7d01777f4943891d7f85652d9470"
#define PANDORA_MESSAGE_INSTANCE_READY   "MESSAGE_ID=5fefab1d7876459a92e3099621d31bc4"
#define PANDORA_MESSAGE_CHILD_EXITED     "MESSAGE_ID=bc8b7940f1c64b8fb14625816ebaf442"
#define PANDORA_MESSAGE_STOP_TIMEOUT     "MESSAGE_ID=e210050ec27a4e8ca9a9a25a9b9534e9"
#define PANDORA_MESSAGE_ADDRESS_IN_USE   "MESSAGE_ID=3c1b6f5e0d2a4e7f9b8c1d2e3f4a5b6c"
