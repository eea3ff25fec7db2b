"""Product images: the shared upload pipeline of ``accounts.images`` (validation, EXIF
orientation, metadata stripping, the large/medium/thumb sizes), under the names the
mall has always imported."""

from accounts.images import *  # noqa: F401,F403
from accounts.images import (  # noqa: F401
    ALLOWED_FORMATS, DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, IMAGE_BROKEN, IMAGE_EMPTY, IMAGE_FORMAT_UNSUPPORTED,
    IMAGE_NOT_AN_IMAGE, IMAGE_TOO_LARGE, IMAGE_TOO_MANY_PIXELS, JPEG_QUALITY, VARIANTS, WEBP_QUALITY, ImageVariant,
    VariantSpec, load_rgb, process, validate_upload,
)
