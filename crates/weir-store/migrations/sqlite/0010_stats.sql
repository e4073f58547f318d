-- Traffic statistics as hourly rollups. Each gateway process adds what it
-- counted to its own row (node), so writers never contend and readers sum
-- across nodes. hour = Unix seconds of the start of the hour in the gateway's
-- time zone. rejections: JSON object {reason: count}; latency: JSON array of
-- [bucket, count] pairs of the fixed log-linear histogram.
CREATE TABLE weir_stats_hourly (
    scope      TEXT NOT NULL,
    name       TEXT NOT NULL,
    hour       BIGINT NOT NULL,
    node       TEXT NOT NULL,
    requests   BIGINT NOT NULL,
    status_1xx BIGINT NOT NULL,
    status_2xx BIGINT NOT NULL,
    status_3xx BIGINT NOT NULL,
    status_4xx BIGINT NOT NULL,
    status_5xx BIGINT NOT NULL,
    rejections TEXT NOT NULL,
    latency    TEXT NOT NULL,
    PRIMARY KEY (scope, name, hour, node)
);
CREATE INDEX weir_stats_hourly_hour ON weir_stats_hourly (hour);
