import base64
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "metadata_extractor"))

import index  # noqa: E402


def record(record_id, payload):
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return {"recordId": record_id, "approximateArrivalTimestamp": 0, "data": base64.b64encode(data).decode()}


SAMPLE = {
    "type": {"device": "mobile", "event": "view"},
    "customer_id": "123456789012",
    "event_timestamp": 1565382027,
    "region": "us-east-1",
}


class HandlerTest(unittest.TestCase):
    def test_seed_sample_gets_utc_partition_keys(self):
        out = index.lambda_handler({"records": [record("1", SAMPLE)]}, None)
        [r] = out["records"]
        self.assertEqual(r["result"], "Ok")
        self.assertEqual(
            r["metadata"]["partitionKeys"],
            {"region": "us-east-1", "device": "mobile", "year": "2019", "month": "08", "day": "09", "hour": "20"},
        )

    def test_data_is_returned_unchanged(self):
        rec = record("1", SAMPLE)
        out = index.lambda_handler({"records": [rec]}, None)
        self.assertEqual(out["records"][0]["data"], rec["data"])

    def test_every_record_id_returned_once_in_order(self):
        recs = [record(str(i), SAMPLE) for i in range(5)] + [record("bad", b"not json")]
        out = index.lambda_handler({"records": recs}, None)
        self.assertEqual([r["recordId"] for r in out["records"]], [r["recordId"] for r in recs])

    def test_bad_records_fail_processing(self):
        out = index.lambda_handler({"records": [record("x", b"not json"), record("y", {"region": "eu"})]}, None)
        self.assertEqual([r["result"] for r in out["records"]], ["ProcessingFailed", "ProcessingFailed"])


if __name__ == "__main__":
    unittest.main()
