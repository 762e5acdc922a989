# One image for web (gunicorn), ws (gunicorn + uvicorn), worker and beat; the frontend is built in a first stage.
FROM node:20-bookworm-slim AS frontend
WORKDIR /app/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
# PYTHONPATH: daphne/celery import the app from /app (templates, frontend/dist beside it),
# not from the copy pip put in site-packages.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=project.settings.prod \
    PYTHONPATH=/app
WORKDIR /app
COPY pyproject.toml README.md ./
COPY project/ project/
COPY accounts/ accounts/
COPY consultations/ consultations/
COPY chat/ chat/
COPY realtime/ realtime/
COPY notifications/ notifications/
COPY integrations/ integrations/
COPY manage.py ./
COPY deploy/ deploy/
RUN pip install --no-cache-dir .
COPY --from=frontend /app/frontend/dist frontend/dist
RUN SECRET_KEY=build-only-collectstatic-key-0123456789abcdef python manage.py collectstatic --noinput
RUN useradd --create-home consult && mkdir -p /app/var && chown -R consult /app/var
USER consult
EXPOSE 8000
CMD ["gunicorn", "project.wsgi", "-c", "deploy/gunicorn.conf.py"]
