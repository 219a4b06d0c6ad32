"""What every app shares and no app owns: the domain error, media storage, validators, form and serializer helpers."""
