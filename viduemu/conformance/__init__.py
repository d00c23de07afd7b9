"""The conformance suite: does a Vidu (the real one, or viduemu) still match contracts/openapi.yaml
and contracts/asyncapi.yaml?

    VIDU_API_KEY=vda_... pytest --pyargs viduemu.conformance --vidu-target=live \\
        --vidu-live-budget 500 --vidu-drift-report drift.json

Cheap calls only: credits, queries of unknown ids, validation errors that cost nothing, and (when the
budget allows) one live audio session of a few seconds. Every answer and every WebSocket message is
checked against the contracts; differences fail the test and land in the drift report. See docs/ci.md.
"""
