"""Firehose transformation Lambda: returns each record unchanged with the partition keys
region, device, year, month, day and hour (UTC, from event_timestamp) for dynamic partitioning."""

import base64
import datetime
import json


def partition_keys(record):
    """Partition keys for one decoded JSON record."""
    ts = datetime.datetime.fromtimestamp(int(record["event_timestamp"]), tz=datetime.timezone.utc)
    return {
        "region": record["region"],
        "device": record["type"]["device"],
        "year": ts.strftime("%Y"),
        "month": ts.strftime("%m"),
        "day": ts.strftime("%d"),
        "hour": ts.strftime("%H"),
    }


def transform(firehose_record):
    """One output record: Ok with partition keys, or ProcessingFailed when the data is not usable."""
    try:
        payload = json.loads(base64.b64decode(firehose_record["data"]))
        keys = partition_keys(payload)
    except (ValueError, KeyError, TypeError):
        return {
            "recordId": firehose_record["recordId"],
            "result": "ProcessingFailed",
            "data": firehose_record["data"],
        }
    return {
        "recordId": firehose_record["recordId"],
        "result": "Ok",
        "data": firehose_record["data"],
        "metadata": {"partitionKeys": keys},
    }


def lambda_handler(event, context):
    """Every input recordId is returned exactly once, in order."""
    return {"records": [transform(r) for r in event["records"]]}
