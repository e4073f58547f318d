-- Further counters of an hour beside the status classes: TCP bytes each way
-- and gRPC calls by grpc-status, as a JSON object {"bytes_in": n,
-- "bytes_out": n, "grpc_14": n, ...}. NULL (rows written before) reads as {}.
ALTER TABLE weir_stats_hourly ADD COLUMN counters LONGTEXT NULL;
