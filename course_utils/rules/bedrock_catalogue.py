"""A small catalogue of real Amazon Bedrock foundation models, and the ListFoundationModels filters.

AWS: ``ListFoundationModels`` returns one ``FoundationModelSummary`` per model (``modelArn``,
``modelId``, ``modelName``, ``providerName``, ``inputModalities``, ``outputModalities``,
``responseStreamingSupported``, ``customizationsSupported``, ``inferenceTypesSupported``,
``modelLifecycle.status``) and narrows the list with ``byProvider``, ``byOutputModality``,
``byInferenceType`` and ``byCustomizationType``; ``GetFoundationModel`` returns the same fields
as ``modelDetails`` for one model id or ARN. The model ARN is
``arn:aws:bedrock:{region}::foundation-model/{modelId}`` (no account).

Sources (checked): "Supported foundation models in Amazon Bedrock"
(https://docs.aws.amazon.com/bedrock/latest/userguide/models-supported.html: model ids, providers,
input/output modalities, streaming) and, for Titan Text Embeddings V2 (on-demand and provisioned
throughput), https://docs.aws.amazon.com/bedrock/latest/userguide/titan-embedding-models.html.
The modality enum is botocore's ``ModelModality`` (TEXT, IMAGE, EMBEDDING): video input (Nova
Lite/Pro) has no value there and is left out. ``customizationsSupported`` is left empty (not
checked per model), and every model is ``ACTIVE``.

Pure data and lookups: imports nothing from boto3, botocore or moto.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Model", "MODELS", "DOC_URL", "find", "model_arn", "summaries", "summary"]

DOC_URL = "https://docs.aws.amazon.com/bedrock/latest/userguide/models-supported.html"


@dataclass(frozen=True)
class Model:
    """One foundation model: what ListFoundationModels says, and the native body format it speaks."""

    model_id: str
    name: str
    provider: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    streaming: bool
    inference_types: tuple[str, ...]
    body_format: str  # "anthropic-messages", "nova", "titan-embed-v2", "llama"
    tool_use: bool = True  # Converse tool use (Supported models and model features)
    lifecycle: str = "ACTIVE"
    customizations: tuple[str, ...] = ()

    @property
    def conversational(self) -> bool:
        """Answers text (Converse works); embedding models do not."""
        return "TEXT" in self.outputs


MODELS: tuple[Model, ...] = (
    Model("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", "Anthropic", ("TEXT", "IMAGE"), ("TEXT",),
          True, ("ON_DEMAND",), "anthropic-messages"),
    Model("amazon.nova-micro-v1:0", "Nova Micro", "Amazon", ("TEXT",), ("TEXT",), True, ("ON_DEMAND",), "nova"),
    Model("amazon.nova-lite-v1:0", "Nova Lite", "Amazon", ("TEXT", "IMAGE"), ("TEXT",), True, ("ON_DEMAND",), "nova"),
    Model("amazon.nova-pro-v1:0", "Nova Pro", "Amazon", ("TEXT", "IMAGE"), ("TEXT",), True, ("ON_DEMAND",), "nova"),
    Model("amazon.titan-embed-text-v2:0", "Titan Text Embeddings V2", "Amazon", ("TEXT",), ("EMBEDDING",), False,
          ("ON_DEMAND", "PROVISIONED"), "titan-embed-v2", tool_use=False),
    # Llama 3 Instruct: Converse yes, tool use no (Supported models and model features).
    Model("meta.llama3-8b-instruct-v1:0", "Llama 3 8B Instruct", "Meta", ("TEXT",), ("TEXT",), True, ("ON_DEMAND",),
          "llama", tool_use=False),
)  # fmt: skip

_BY_ID = {m.model_id: m for m in MODELS}


def model_arn(model_id: str, region: str, partition: str = "aws") -> str:
    return f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"


def find(identifier: str) -> Model | None:
    """The model for a model id or a foundation-model ARN (any region), else None."""
    if identifier.startswith("arn:") and ":foundation-model/" in identifier:
        identifier = identifier.split(":foundation-model/", 1)[1]
    return _BY_ID.get(identifier)


def summary(model: Model, region: str) -> dict[str, Any]:
    """``FoundationModelSummary`` / ``FoundationModelDetails`` of one model."""
    return {
        "modelArn": model_arn(model.model_id, region),
        "modelId": model.model_id,
        "modelName": model.name,
        "providerName": model.provider,
        "inputModalities": list(model.inputs),
        "outputModalities": list(model.outputs),
        "responseStreamingSupported": model.streaming,
        "customizationsSupported": list(model.customizations),
        "inferenceTypesSupported": list(model.inference_types),
        "modelLifecycle": {"status": model.lifecycle},
    }


def summaries(region: str, *, by_provider: str | None = None, by_output_modality: str | None = None,
              by_inference_type: str | None = None, by_customization_type: str | None = None) -> list[dict[str, Any]]:
    """ListFoundationModels' ``modelSummaries`` after its filters (provider compared case-insensitively)."""
    out = []
    for m in MODELS:
        if by_provider and m.provider.lower() != by_provider.lower():
            continue
        if by_output_modality and by_output_modality not in m.outputs:
            continue
        if by_inference_type and by_inference_type not in m.inference_types:
            continue
        if by_customization_type and by_customization_type not in m.customizations:
            continue
        out.append(summary(m, region))
    return out
