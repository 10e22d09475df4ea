//! The e-mails the identity module sends. Links are built from the configured
//! public URL; tokens appear only in the link.

use tessera_kernel::mail::Mail;

use crate::service::Identity;

impl Identity {
    fn link(&self, template: &str, token: &str) -> String {
        self.core.config.server.link(&template.replace("{token}", token))
    }

    pub(crate) fn verification_mail(&self, to: &str, name: &str, token: &str) -> Mail {
        let link = self.link(&self.cfg.verify_email_link, token);
        Mail {
            to: to.to_owned(),
            subject: "Confirm your e-mail address".into(),
            text: format!(
                "Hello {name},\n\nConfirm your e-mail address by opening this link:\n\n{link}\n\n\
                 The link is valid for {} hours. If you did not create an account, ignore this message.\n",
                self.cfg.verify_email_ttl_hours
            ),
            html: None,
        }
    }

    pub(crate) fn reset_mail(&self, to: &str, name: &str, token: &str) -> Mail {
        let link = self.link(&self.cfg.reset_password_link, token);
        Mail {
            to: to.to_owned(),
            subject: "Reset your password".into(),
            text: format!(
                "Hello {name},\n\nSomeone asked to reset the password of your account. To choose a new \
                 password, open this link:\n\n{link}\n\nThe link is valid for {} minutes and works once. \
                 If you did not ask for this, ignore this message: your password stays as it is.\n",
                self.cfg.reset_password_ttl_minutes
            ),
            html: None,
        }
    }

    pub(crate) fn set_password_mail(&self, to: &str, name: &str, token: &str) -> Mail {
        Mail {
            to: to.to_owned(),
            subject: "Your new account".into(),
            text: format!(
                "Hello {name},\n\nAn account was created for you. Choose your password here:\n\n{}\n\n\
                 The link is valid for {} hours and works once.\n",
                self.set_password_link(token),
                self.cfg.set_password_ttl_hours
            ),
            html: None,
        }
    }

    /// The link that lets a new user choose a password (also printed by the CLI).
    pub(crate) fn set_password_link(&self, token: &str) -> String {
        self.link(&self.cfg.reset_password_link, token)
    }
}
